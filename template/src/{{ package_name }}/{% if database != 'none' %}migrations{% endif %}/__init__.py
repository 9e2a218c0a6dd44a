"""Alembic migrations, shipped inside the package so that the image can run them."""
