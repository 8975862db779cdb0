# The portal image, one for every role: Python 3.11, the package and its migrations. The command
# chooses the role (`reserves serve`, `reserves worker`, `reserves devnet`, `reserves db upgrade`);
# configuration and secrets come from the environment and mounted files (compose.yaml, docs/configuration.md).
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
RUN pip install --no-cache-dir -e . && useradd --create-home reserves && mkdir /data /webhook-keys && chown reserves /data /webhook-keys
USER reserves
WORKDIR /data
EXPOSE 8000 8001 8002
# Liveness of the default command (the web role): an orchestrator that restarts unhealthy
# containers must not restart a portal whose data is stale, so this is /healthz, not /readyz.
# compose.yaml gives each service its own check (the web replicas: /readyz).
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
CMD ["reserves", "serve", "--host", "0.0.0.0"]
