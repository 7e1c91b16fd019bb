#!/usr/bin/env bash
# Creates one database per app. The postgres image runs this once, on the first start with
# an empty data directory (files in /docker-entrypoint-initdb.d are skipped afterwards).
# Each app owns its database; no app reads another's tables.
set -euo pipefail

for database in fnet_gateway fnet_donations fnet_partners fnet_network; do
    # CREATE DATABASE cannot run inside a transaction or a DO block, hence \gexec;
    # the NOT EXISTS makes a rerun by hand harmless.
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v database="$database" <<'SQL'
SELECT format('CREATE DATABASE %I', :'database')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database')\gexec
SQL
done
