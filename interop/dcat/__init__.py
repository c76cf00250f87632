"""DCAT-AP 3.0.1 out: the catalogue as RDF graphs (rdflib), a page of datasets at a time."""
