"""A CKAN Action API (version 3) over the catalogue, read-only: what CKAN clients, harvesters
and portals call (``package_search``, ``package_show``...), answered in CKAN's envelope."""
