// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Apple platforms use Accelerate instead.
#pragma once
#include <cblas.h>
