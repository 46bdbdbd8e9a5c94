FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY goalsetting goalsetting
COPY funnel funnel
RUN pip install --no-cache-dir .
COPY . .
# Hashed, compressed static files for whitenoise, built into the image.
RUN DEBUG=1 python manage.py collectstatic --noinput
EXPOSE 8000
