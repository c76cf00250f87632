"""Distribution formats: a closed list, so that filters can reject unknown values with a 400.

Codes follow the EU Publications Office file-type vocabulary where one exists.
"""

FORMAT_MEDIA_TYPES: dict[str, str] = {
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
    "JSON": "application/json",
    "JSON_LD": "application/ld+json",
    "GEOJSON": "application/geo+json",
    "XML": "application/xml",
    "RDF_XML": "application/rdf+xml",
    "RDF_TURTLE": "text/turtle",
    "PARQUET": "application/vnd.apache.parquet",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "PDF": "application/pdf",
    "TXT": "text/plain",
    "HTML": "text/html",
    "ZIP": "application/zip",
    "GZIP": "application/gzip",
    "SHP": "application/x-shapefile",
    "GEOTIFF": "image/tiff",
    "NETCDF": "application/x-netcdf",
    "HDF5": "application/x-hdf5",
    "FHIR": "application/fhir+json",
    "DICOM": "application/dicom",
    "VCF": "text/x-vcf",
    "SPARQLQ": "application/sparql-query",
    "API": "application/json",
}

FORMAT_CHOICES = [(code, code.replace("_", "-")) for code in FORMAT_MEDIA_TYPES]

EXTENSION_FORMATS: dict[str, str] = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".json": "JSON",
    ".jsonld": "JSON_LD",
    ".geojson": "GEOJSON",
    ".xml": "XML",
    ".rdf": "RDF_XML",
    ".ttl": "RDF_TURTLE",
    ".parquet": "PARQUET",
    ".xlsx": "XLSX",
    ".ods": "ODS",
    ".pdf": "PDF",
    ".txt": "TXT",
    ".html": "HTML",
    ".zip": "ZIP",
    ".gz": "GZIP",
    ".tif": "GEOTIFF",
    ".tiff": "GEOTIFF",
    ".nc": "NETCDF",
    ".h5": "HDF5",
    ".vcf": "VCF",
}


def normalise_format(value: str) -> str | None:
    """Return the canonical code for a user-given format (``csv``, ``JSON-LD``...), or None."""
    code = value.strip().upper().replace("-", "_").replace(" ", "_")
    return code if code in FORMAT_MEDIA_TYPES else None
