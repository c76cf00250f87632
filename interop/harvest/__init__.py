"""Harvesting other catalogues (DCAT-AP and CKAN) into this one."""
