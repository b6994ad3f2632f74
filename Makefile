# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench demo clean messages fonts install proxies browser

# The bot, and next to it the development-only sandbox (fake Slack, demo): not in the wheel.
$(STAMP): pyproject.toml sandbox/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]" -e ./sandbox
	touch $(STAMP)

# Without Slack credentials the bot says what is missing, then opens the browser sandbox.
run: $(STAMP) fonts
	$(BIN)/surveybot serve --demo-if-unconfigured

test: $(STAMP) fonts proxies browser
	./.ci/ensure-postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot handlers storage sandbox tests bench
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot handlers storage sandbox tests

demo: $(STAMP)
	$(BIN)/surveybot demo

bench: $(STAMP)
	$(BIN)/python -m bench.digest_bench
	$(BIN)/python -m bench.home_bench
	$(BIN)/python -m bench.ack_bench
	$(BIN)/python -m bench.close_bench
	$(BIN)/python -m bench.burst_bench
	$(BIN)/python -m bench.clicks_bench
	$(BIN)/python -m bench.nps_bench
	./.ci/ensure-postgres
	$(BIN)/python -m bench.workspaces_bench

# After changing a customer-facing text: re-extract the template, merge it into every
# catalogue, then translate the new or fuzzy entries (tests/test_i18n.py lists them).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --add-comments=Translators: --add-location=file \
		--sort-output --copyright-holder=surveybot --project=surveybot --version=0.1.0 \
		-o bot/locale/surveybot.pot bot
	$(BIN)/pybabel update -D surveybot -i bot/locale/surveybot.pot -d bot/locale \
		--ignore-pot-creation-date --ignore-obsolete

# Chinese and Japanese chart labels need a CJK font (Debian's fonts-noto-cjk). As root it
# is installed; otherwise, or if that fails, charts in those languages are drawn in
# English (bot/digest/chart.py) and this line says what is missing.
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
fonts:
	@test -e $(CJK_FONT) || { test "$$(id -u)" = 0 \
		&& apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null; } \
		|| echo "No CJK font (apt-get install fonts-noto-cjk): Chinese and Japanese charts are drawn in English."

# A server's install: the bot and what it needs to run, nothing else (no test tools, no
# sandbox, no apt-get). Run it as the bot's own user, in its folder (README: Going to
# production); the CJK font for charts is its own step, `sudo make fonts`.
install:
	@if [ "$$(id -u)" = 0 ] && [ "$(ALLOW_ROOT)" != 1 ]; then \
		echo "make install: run this as the bot's own user (sudo -u surveybot make install), not as root; ALLOW_ROOT=1 overrides" >&2; \
		exit 2; fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt .
	@echo "Installed: $(BIN)/surveybot (start it with systemd: deploy/surveybot.service)"

# The reverse-proxy examples (deploy/) are checked by Caddy and nginx themselves when
# they are installed: as root (CI) they are, otherwise the test reads their structure.
proxies:
	@{ command -v caddy >/dev/null && command -v nginx >/dev/null || test -x /usr/sbin/nginx -a -x /usr/bin/caddy; } \
		|| { test "$$(id -u)" = 0 && apt-get install -y -qq caddy nginx >/dev/null 2>&1; } \
		|| { test "$$(id -u)" = 0 && apt-get update -qq && apt-get install -y -qq caddy nginx >/dev/null; } \
		|| echo "Caddy or nginx missing (apt-get install caddy nginx): tests/test_deploy.py checks the examples' structure only."

# The browser test drives Debian's Chromium (Playwright cannot download its own browser
# here), with an emoji font for its screenshots. As root it is installed; otherwise this
# line says what is missing, and the test skips (in CI, where CI=true, it fails instead).
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 \
		&& apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; } \
		|| echo "No Chromium (apt-get install chromium): the browser sandbox test cannot run."

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache test-results
