# syntax=docker/dockerfile:1
# One image for all four apps; the command picks the app (see docker-compose.yml):
#   uvicorn gateway.app:create_app --factory ...            (the default)
#   uvicorn services.donations.app:create_app --factory ...
#   fnet migrate
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# The dependencies first, in their own layer, so that changing the code does not
# reinstall them. Read from pyproject.toml so there is one list to maintain.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# README.md is optional: a glob that matches nothing is not an error as long as another
# source (pyproject.toml, unchanged) is copied with it.
COPY pyproject.toml README.md* ./
COPY kit ./kit
COPY contracts ./contracts
COPY services ./services
COPY gateway ./gateway
COPY fnet ./fnet
# Runtime dependencies only: the dev extra (pytest, mypy...) stays out of the image.
RUN pip install . && pip check


FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
RUN groupadd --system --gid 10001 fnet \
    && useradd --system --uid 10001 --gid fnet --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin fnet
# Only the installed environment comes over: no sources, tests or build tools.
COPY --from=build /opt/venv /opt/venv
# The code is read-only to the app user. Only ./var is writable: `fnet` creates it (for the
# embedded SQLite files) even when every FNET_<APP>_DATABASE_URL is set, as in compose.
WORKDIR /app
RUN install --directory --owner=fnet --group=fnet --mode=0750 /app/var
# Numeric, so that runtimes enforcing non-root (runAsNonRoot) can check it.
USER 10001:10001
EXPOSE 8000
# Health checks are per service, in docker-compose.yml (the slim image has no curl; they
# use python's urllib).
CMD ["uvicorn", "gateway.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
