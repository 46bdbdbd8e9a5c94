FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY goalsetting goalsetting
COPY funnel funnel
RUN pip install --no-cache-dir .
COPY . .
# Hashed, compressed static files and their manifest for whitenoise, built
# into the image with the production storage (DEBUG off; the key and database
# are placeholders that exist only during this build step).
RUN DEBUG=0 SECRET_KEY=build-only-placeholder DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput
EXPOSE 8000
