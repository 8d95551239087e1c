# The bot's server: `python main.py serve` as a non-root user, SQLite in a volume by default.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8080

WORKDIR /app

# Dependencies first (read from pyproject.toml), so editing the code does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -r requirements.txt \
    && useradd --create-home --uid 10001 bot

# The code runs from /app as it does in a checkout (locales/ and migrations beside it).
COPY main.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY catalog ./catalog
COPY locales ./locales
RUN mkdir -p /app/data && chown bot:bot /app/data

USER bot
VOLUME ["/app/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8080\")}/healthz', timeout=4)"

ENTRYPOINT ["python", "main.py"]
CMD ["serve"]
