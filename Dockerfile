# Build stage: the wheel, with the C readers compiled (app/ingest/_lfasr.c; hatch_build.py).
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev python3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md hatch_build.py ./
COPY lexicons ./lexicons
COPY app ./app
RUN python -m pip wheel --no-deps -w /wheels . \
    && python -c "import zipfile, glob; names = zipfile.ZipFile(glob.glob('/wheels/*.whl')[0]).namelist(); \
assert any('_lfasr' in n and n.endswith('.so') for n in names), 'the C reader was not compiled'"

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
# Dependencies first, so editing the code does not reinstall them (no compiler here: this
# install of the bare package is only for its dependencies).
COPY pyproject.toml README.md hatch_build.py ./
COPY app/__init__.py app/__init__.py
COPY lexicons ./lexicons
RUN python -m pip install --upgrade pip && python -m pip install .
# The package itself from the build stage's wheel: the code, the compiled reader, the default
# lexicons inside it (app/default_lexicons)
COPY --from=build /wheels /wheels
COPY samples ./samples
RUN python -m pip install --no-deps --force-reinstall /wheels/*.whl && rm -rf /wheels \
    && cd / && callqa lexicon check && python -c "import app.ingest._lfasr"

# An unprivileged numeric user: no account tools are needed in the image. The embedded
# SQLite file, when no CALLQA_DATABASE_URL is given, lives in /data.
RUN mkdir -p /data && chown 10001:10001 /data
WORKDIR /data
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["callqa"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
