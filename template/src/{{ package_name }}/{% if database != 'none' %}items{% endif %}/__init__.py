"""Items: the example resource, layered as model, schemas, repository, service, router.

Delete this package, its router line in api/v1/__init__.py, its import in
migrations/env.py and its tests once the service has resources of its own (README.md).
"""
