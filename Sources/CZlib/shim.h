// zlib, for reading gzip-compressed data sets (Fashion-MNIST's IDX .gz files).
// Debian: zlib1g-dev. Apple platforms: in the SDK.
#pragma once
#include <zlib.h>
