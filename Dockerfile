# syntax=docker/dockerfile:1
# Build stage: install the package into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY bot ./bot
COPY miniapp ./miniapp
COPY fulmine ./fulmine
COPY orchestrator ./orchestrator
COPY providers ./providers
COPY state ./state
# Only the GPU server's wire schemas are imported here (by the gpu provider); development
# tools (devtools/) stay out of the image.
COPY gpu_server ./gpu_server
RUN pip install .

# Final stage: the virtual environment only; no compilers, no sources, no root.
FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin fulmine
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000
USER fulmine
WORKDIR /home/fulmine
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health', timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["fulmine", "serve"]
