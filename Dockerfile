# The portal image: Python 3.11, the package and its migrations. Configuration and secrets come
# from the environment and mounted files (see compose.yaml and docs/configuration.md).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY chains ./chains
COPY reserves ./reserves
COPY portal ./portal
COPY templates ./templates
COPY migrations ./migrations
COPY contracts ./contracts
COPY examples ./examples
RUN pip install --no-cache-dir -e . && useradd --create-home reserves && mkdir /data && chown reserves /data
USER reserves
WORKDIR /data
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"
CMD ["reserves", "serve", "--host", "0.0.0.0"]
