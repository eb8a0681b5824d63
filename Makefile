# Two commands: `make run` (install, migrate, load the demo, serve) and `make test`; and
# `make serve SITE_URL=…` to run dangbo for real (production settings, gunicorn).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# These commands run dangbo on this machine, where it may use its development secret key; a real
# install sets SECRET_KEY instead (see "Settings" in the README).
export DANGBO_ENV ?= development

.PHONY: run run-city serve test install install-dev lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "dangbo đang chạy tại http://$(HOST)/  (Ctrl+C để dừng)"
	$(BIN)/python manage.py runserver $(HOST)

# The whole city of Hải Phòng around the demo committee (load_demo --city; ≈ 3 minutes at SCALE=1),
# in its own SQLite file, city.sqlite3, so the plain demo of `make run` stays as it is.
SCALE ?= 1
CITY_DB = DATABASE_URL=sqlite:///$(CURDIR)/city.sqlite3

run-city: $(VENV)/.installed
	$(CITY_DB) $(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(CITY_DB) $(BIN)/python manage.py load_demo --city --scale $(SCALE)
	@echo ""
	@echo "dangbo (Đảng bộ thành phố mẫu) đang chạy tại http://$(HOST)/  (Ctrl+C để dừng)"
	$(CITY_DB) $(BIN)/python manage.py runserver $(HOST)

# Production: DEBUG off, the secret key from a file outside the repository (made once, readable by
# this user only), static files collected for WhiteNoise, migrations applied, then gunicorn with
# deploy/gunicorn.conf.py on HOST. SITE_URL is required; ALLOWED_HOSTS defaults to its host name;
# DATABASE_URL, if set, chooses the database (SQLite in the checkout otherwise).
SECRET_KEY_FILE ?= $(HOME)/.config/dangbo/secret_key
SERVE_ENV = DANGBO_ENV=production DEBUG=0 SECRET_KEY_FILE="$(SECRET_KEY_FILE)" SITE_URL="$(SITE_URL)" DANGBO_BIND="$(HOST)"

serve: $(VENV)/.installed
	@if [ -z "$(SITE_URL)" ]; then \
	  echo "Chưa đặt SITE_URL, địa chỉ người dùng mở dangbo. Ví dụ:" >&2; \
	  echo "  make serve SITE_URL=http://localhost:8000            (thử trên chính máy này)" >&2; \
	  echo "  make serve SITE_URL=https://dangbo.example.vn        (sau proxy HTTPS, xem README)" >&2; \
	  exit 2; fi
	@case "$$(realpath -m "$(SECRET_KEY_FILE)")/" in "$(CURDIR)/"*) \
	  echo "SECRET_KEY_FILE=$(SECRET_KEY_FILE) nằm trong thư mục mã nguồn: hãy chọn một tệp bên ngoài." >&2; exit 2;; esac
	@if [ ! -s "$(SECRET_KEY_FILE)" ]; then \
	  mkdir -p "$$(dirname "$(SECRET_KEY_FILE)")" && \
	  (umask 077 && $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$(SECRET_KEY_FILE)") && \
	  echo "Đã tạo khóa bí mật mới trong $(SECRET_KEY_FILE)"; fi
	@chmod 600 "$(SECRET_KEY_FILE)"
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "dangbo (chế độ sản xuất): mở $(SITE_URL) (gunicorn nghe ở $(HOST); Ctrl+C để dừng)"
	$(SERVE_ENV) $(BIN)/gunicorn --config deploy/gunicorn.conf.py

test: $(VENV)/.installed-dev
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/overview.py --members 4466

clean:
	rm -rf $(VENV) db.sqlite3 city.sqlite3 staticfiles
