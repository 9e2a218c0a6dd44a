#!/bin/sh
# Runs one download step of the image build (Dockerfile, builder stage) with the two
# optional build secrets compose.yaml passes: an extra CA bundle, for a proxy that re-signs
# TLS, and the package index, for a mirror of PyPI (docs/OPERATIONS.md, "Builds behind a
# proxy or a mirror"). Without them the command runs as it is.
#
# BuildKit mounts the secrets for this step only, and the combined bundle is written to a
# tmpfs mounted for it too: neither lands in a layer. Everything is exported to the
# command, never written to a file of the image.
set -eu

ca_bundle=/run/secrets/build_ca_bundle
index_url=/run/secrets/build_index_url

if [ -s "${ca_bundle}" ]; then
    # Added to the roots the base image trusts, not put in their place, so that hosts
    # signed by a public CA still verify. pip and uv read SSL_CERT_FILE; uv trusts only
    # its own bundled roots without it.
    combined=/run/build-ca/ca-certificates.crt
    system="$(python -c 'import ssl; print(ssl.get_default_verify_paths().cafile or "")')"
    {
        if [ -n "${system}" ]; then cat "${system}"; echo; fi
        cat "${ca_bundle}"
    } >"${combined}"
    export SSL_CERT_FILE="${combined}" PIP_CERT="${combined}"
fi

if [ -s "${index_url}" ]; then
    index="$(cat "${index_url}")"
    export PIP_INDEX_URL="${index}" UV_DEFAULT_INDEX="${index}"
fi

exec "$@"
