# surveybot as a container: the bot only (no test tools, no sandbox), run as a non-root
# user, healthy when GET /healthz answers 200. `docker compose up` (compose.yaml) runs it
# beside PostgreSQL. Checked by tests/test_deploy.py (built and run where an engine works).
FROM python:3.12-slim

# Chinese and Japanese chart labels need a CJK font (about 100 MB): --build-arg CJK_FONT=1.
ARG CJK_FONT=0
# hadolint ignore=DL3008
RUN if [ "$CJK_FONT" = 1 ]; then \
        apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
        && rm -rf /var/lib/apt/lists/*; \
    fi

COPY pyproject.toml constraints.txt README.md LICENSE /tmp/surveybot/
COPY bot /tmp/surveybot/bot
COPY handlers /tmp/surveybot/handlers
COPY storage /tmp/surveybot/storage
RUN pip install --no-cache-dir -c /tmp/surveybot/constraints.txt /tmp/surveybot \
    && rm -rf /tmp/surveybot

RUN useradd --system --uid 10001 --create-home --home-dir /srv/surveybot surveybot \
    && mkdir /srv/surveybot/data && chown surveybot:surveybot /srv/surveybot/data
# By number, so an orchestrator can tell it is not root (runAsNonRoot).
USER 10001:10001
WORKDIR /srv/surveybot

# SQLite in a volume unless DATABASE_URL names PostgreSQL (compose.yaml does).
ENV PORT=3000 \
    DATABASE_URL=sqlite:////srv/surveybot/data/surveybot.db \
    PYTHONUNBUFFERED=1
VOLUME ["/srv/surveybot/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]

CMD ["surveybot", "serve"]
