from setuptools import find_packages
from setuptools import setup

setup(
    name="sheraf",
    version="1.0.0.dev0",
    description="ZODB object mapper whose connection contexts stay correct "
    "under threads, processes and greenlets",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(include=["sheraf", "sheraf.*"]),
    install_requires=[
        "BTrees>=5.0",
        "greenlet>=3.0",
        "persistent>=5.0",
        "transaction>=4.0",
        "ZEO>=6.0",
        "ZODB>=6.0",
        "zodburi>=3.0",
    ],
    extras_require={
        "green": ["gevent>=24.2", "gunicorn>=22.0"],
        # RelStorage on PostgreSQL (postgres:// URIs). Its "gevent psycopg2"
        # driver needs the psycopg2 module: psycopg2-binary has it with no
        # build step; psycopg2 built on the system's libpq does as well.
        "relstorage": ["RelStorage>=4.0", "psycopg2-binary>=2.9"],
    },
    entry_points={
        "pytest11": ["sheraf = sheraf.testing"],
    },
    classifiers=[
        "Framework :: ZODB",
        "Intended Audience :: Developers",
        "Programming Language :: Python :: 3",
    ],
)
