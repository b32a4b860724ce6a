FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
# Dependencies first, so editing the code does not reinstall them.
COPY pyproject.toml README.md ./
COPY app/__init__.py app/__init__.py
COPY lexicons ./lexicons
RUN python -m pip install --upgrade pip && python -m pip install .
# The package itself, the default lexicons inside it (app/default_lexicons)
COPY app ./app
COPY samples ./samples
RUN python -m pip install --no-deps --force-reinstall . && cd / && callqa lexicon check

# An unprivileged numeric user: no account tools are needed in the image. The embedded
# SQLite file, when no CALLQA_DATABASE_URL is given, lives in /data.
RUN mkdir -p /data && chown 10001:10001 /data
WORKDIR /data
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["callqa"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
