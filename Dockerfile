# syntax=docker/dockerfile:1.7
#
# Trading Hive images, built from the repository root (the core library, schemas/ and
# policies/ are part of every image). One target per service, plus the `hive` command line for
# the one-shot jobs (topics, schemas), the only image with the tooling (tools/hive-cli):
#
#   docker build --target governor -t trading-hive/governor:dev .
#   docker compose build                  # docker-compose.yml names the target of each service
#
# targets: signal-parser enricher regime-detector risk-gate executor governor hub-api learner hive-cli
#
# Every image: python:3.11-slim, the service's locked dependencies only (`uv sync --frozen
# --no-dev --no-editable --package <service>` into /app/.venv), HIVE_HOME=/app with schemas/ and
# policies/ under it, user 10001 (non-root, no shell, owns nothing it runs), no uv, pip, compiler
# or package cache in the final stage. The learner is the only image with torch (several GB with
# PyPI's CUDA libraries; build it with --build-arg LEARNER_TORCH=cpu for a CPU-only torch);
# the other images never see it.
#
# Pin PYTHON_IMAGE to a digest (python:3.11-slim-bookworm@sha256:...) in a release pipeline.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: uv and the workspace manifests --------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG UV_VERSION=0.13.8
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m pip install "uv==${UV_VERSION}"
# Byte-compile at build time (the root filesystem is read-only at run time), copy rather than
# hard-link from the cache mount, use the image's Python, never download one, honour uv.lock.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_FROZEN=1
WORKDIR /src

# Only the pyproject.toml files of the workspace: the dependency layers below are rebuilt when a
# manifest or uv.lock changes, not when a source file does (COPY --from is content-addressed).
FROM builder AS manifests
COPY libs/ libs/
COPY services/ services/
COPY tools/ tools/
RUN find libs services tools -type f ! -name pyproject.toml -delete \
    && find libs services tools -depth -type d -empty -delete

FROM builder AS workspace
COPY pyproject.toml uv.lock ./
COPY --from=manifests /src/ ./

# ---- one virtual environment per service (third-party dependencies first, then the code) ------
FROM workspace AS venv-hive-cli
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-cli
COPY libs/ libs/
# The command line imports the services it checks with (bots check, parser evaluate, regimes).
COPY services/risk-gate/ services/risk-gate/
COPY services/signal-parser/ services/signal-parser/
COPY services/regime-detector/ services/regime-detector/
COPY tools/hive-cli/ tools/hive-cli/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-cli

FROM workspace AS venv-signal-parser
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-signal-parser
COPY libs/ libs/
COPY services/signal-parser/ services/signal-parser/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-signal-parser

FROM workspace AS venv-enricher
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-enricher
COPY libs/ libs/
COPY services/enricher/ services/enricher/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-enricher

FROM workspace AS venv-regime-detector
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-regime-detector
COPY libs/ libs/
COPY services/regime-detector/ services/regime-detector/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-regime-detector

FROM workspace AS venv-risk-gate
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-risk-gate
COPY libs/ libs/
COPY services/risk-gate/ services/risk-gate/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-risk-gate

FROM workspace AS venv-executor
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-executor
COPY libs/ libs/
COPY services/executor/ services/executor/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-executor

FROM workspace AS venv-governor
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-governor
COPY libs/ libs/
COPY services/governor/ services/governor/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-governor

FROM workspace AS venv-hub-api
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-hub
COPY libs/ libs/
# The hub uses the risk gate's bot registry model (a workspace dependency).
COPY services/risk-gate/ services/risk-gate/
COPY services/hub-api/ services/hub-api/
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-editable --package hive-hub

FROM workspace AS venv-learner
# LEARNER_TORCH=locked: torch exactly as uv.lock has it (PyPI's build, with the CUDA libraries:
#                       several GB).
# LEARNER_TORCH=cpu:    the same torch version from PyTorch's CPU-only index, the CUDA libraries
#                       removed (about a tenth of the size), for clusters without GPUs.
ARG LEARNER_TORCH=locked
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN --mount=type=cache,target=/root/.cache/uv uv sync --no-dev --no-install-workspace --package hive-learner
RUN --mount=type=cache,target=/root/.cache/uv set -eu; \
    py=/app/.venv/bin/python; \
    case "${LEARNER_TORCH}" in \
    locked) ;; \
    cpu) \
        version="$("$py" -c 'import importlib.metadata as m; print(m.version("torch").split("+")[0])')"; \
        uv pip install --python "$py" --no-deps --reinstall \
            --index-url https://download.pytorch.org/whl/cpu "torch==${version}+cpu"; \
        uv pip list --python "$py" --format freeze | cut -d= -f1 | { grep -E '^(nvidia-|triton$)' || true; } \
            | xargs -r uv pip uninstall --python "$py" ;; \
    *) echo "LEARNER_TORCH must be locked or cpu, got ${LEARNER_TORCH}" >&2; exit 2 ;; \
    esac
COPY libs/ libs/
COPY services/learner/ services/learner/
# The two workspace packages on top, without touching the dependencies (a sync would put the
# locked torch back over a CPU one).
RUN --mount=type=cache,target=/root/.cache/uv \
    uv pip install --python /app/.venv/bin/python --no-deps ./libs/hive ./services/learner

# ---- runtime: what every final image shares ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# The base image's pip, setuptools and wheel are not needed to run anything (the services run
# from /app/.venv, which has none): remove them. Then the unprivileged user the services run as,
# and the one directory a service writes to outside /tmp (the learner's model store; a named
# volume or an emptyDir mounted there inherits this owner).
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --system --gid 10001 hive \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin hive \
    && mkdir -p /var/lib/hive/models \
    && chown 10001:10001 /var/lib/hive/models
ENV HIVE_HOME=/app \
    VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HIVE_HTTP_HOST=0.0.0.0 \
    HIVE_HTTP_PORT=8080 \
    HIVE_MODEL_STORE=/var/lib/hive/models \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp
WORKDIR /app
# Data files the services read at run time through HIVE_HOME (hive.paths): the topic catalogue
# and Avro schemas, and the policies' rule sets (hive.limits reads policies/hive/profiles/).
COPY schemas/ /app/schemas/
COPY policies/ /app/policies/
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HIVE_HTTP_PORT', '8080'), timeout=2)"]
LABEL org.opencontainers.image.title="trading-hive" \
      org.opencontainers.image.licenses="Apache-2.0"

# ---- final images -----------------------------------------------------------------------------
FROM runtime AS hive-cli
COPY --from=venv-hive-cli /app/.venv /app/.venv
# `hive feed replay` replays the bundled year of bars.
COPY data/market/ /app/data/market/
USER 10001:10001
# The jobs have no HTTP endpoint.
HEALTHCHECK NONE
ENTRYPOINT ["hive"]
CMD ["--help"]

FROM runtime AS signal-parser
COPY --from=venv-signal-parser /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_signal_parser"]

FROM runtime AS enricher
COPY --from=venv-enricher /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_enricher"]

FROM runtime AS regime-detector
COPY --from=venv-regime-detector /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_regime"]

FROM runtime AS risk-gate
COPY --from=venv-risk-gate /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_risk_gate"]

FROM runtime AS executor
COPY --from=venv-executor /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_executor"]

FROM runtime AS governor
COPY --from=venv-governor /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_governor"]

FROM runtime AS hub-api
COPY --from=venv-hub-api /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_hub"]

FROM runtime AS learner
COPY --from=venv-learner /app/.venv /app/.venv
USER 10001:10001
CMD ["python", "-m", "hive_learner"]
