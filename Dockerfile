FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CALLQA_LEXICON_DIR=/app/lexicons

WORKDIR /app
# Dependencies first, so editing the code does not reinstall them.
COPY pyproject.toml README.md ./
COPY app/__init__.py app/__init__.py
RUN python -m pip install --upgrade pip && python -m pip install .
COPY app ./app
COPY lexicons ./lexicons
COPY samples ./samples
RUN python -m pip install --no-deps . && callqa lexicon check /app/lexicons

# An unprivileged numeric user: no account tools are needed in the image.
USER 10001:10001
ENTRYPOINT ["callqa"]
CMD ["score", "/app/samples/calls.jsonl"]
