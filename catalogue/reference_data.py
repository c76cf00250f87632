"""Reference data loaded by data migrations: it must exist in every installation, demo or not."""

# The Common European Data Spaces named in the European strategy for data, plus EOSC for research.
DATA_SPACES: list[dict[str, str]] = [
    {"slug": "health", "name": "European Health Data Space",
     "description": "Primary and secondary use of electronic health data (EHDS)."},
    {"slug": "industrial-manufacturing", "name": "Industrial (Manufacturing) Data Space",
     "description": "Data for industrial competitiveness, maintenance and supply chains."},
    {"slug": "agriculture", "name": "Agricultural Data Space",
     "description": "Farm, soil, crop, livestock and agri-environmental data."},
    {"slug": "finance", "name": "Financial Data Space",
     "description": "Supervisory, market and sustainable-finance data."},
    {"slug": "mobility", "name": "Mobility Data Space",
     "description": "Transport, traffic, logistics and multimodal travel data."},
    {"slug": "green-deal", "name": "Green Deal Data Space",
     "description": "Climate, biodiversity, pollution and circular-economy data."},
    {"slug": "energy", "name": "Energy Data Space",
     "description": "Grid, generation, consumption and flexibility data."},
    {"slug": "public-administration", "name": "Public Administration Data Space",
     "description": "Public procurement, legal and administrative data."},
    {"slug": "skills", "name": "Skills Data Space",
     "description": "Education, training, qualifications and labour-market data."},
    {"slug": "media", "name": "Media Data Space",
     "description": "News, audiovisual and audience data."},
    {"slug": "cultural-heritage", "name": "Cultural Heritage Data Space",
     "description": "Digitised collections and heritage records (Europeana)."},
    {"slug": "tourism", "name": "Tourism Data Space",
     "description": "Accommodation, visitor-flow and destination data."},
    {"slug": "language", "name": "Language Data Space",
     "description": "Corpora, lexicons and language resources for all EU languages."},
    {"slug": "research-eosc", "name": "European Open Science Cloud (Research)",
     "description": "Research data and services federated through EOSC."},
]  # fmt: skip

# EU Publications Office data-theme vocabulary (used by DCAT-AP).
THEME_BASE_URI = "http://publications.europa.eu/resource/authority/data-theme/"
THEMES: list[tuple[str, str]] = [
    ("AGRI", "Agriculture, fisheries, forestry and food"),
    ("ECON", "Economy and finance"),
    ("EDUC", "Education, culture and sport"),
    ("ENER", "Energy"),
    ("ENVI", "Environment"),
    ("GOVE", "Government and public sector"),
    ("HEAL", "Health"),
    ("INTR", "International issues"),
    ("JUST", "Justice, legal system and public safety"),
    ("OP_DATPRO", "Provisional data"),
    ("REGI", "Regions and cities"),
    ("SOCI", "Population and society"),
    ("TECH", "Science and technology"),
    ("TRAN", "Transport"),
]

LICENCES: list[dict] = [
    {
        "identifier": "CC0-1.0",
        "title": "Creative Commons Zero v1.0 Universal",
        "url": "https://creativecommons.org/publicdomain/zero/1.0/",
        "is_open": True,
        "requires_attribution": False,
        "requires_share_alike": False,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "The person who associated a work with this deed has dedicated the work to the "
        "public domain by waiving all of their rights to the work worldwide under copyright law, "
        "including all related and neighbouring rights, to the extent allowed by law. You can "
        "copy, modify, distribute and perform the work, even for commercial purposes, all without "
        "asking permission. Full legal code: https://creativecommons.org/publicdomain/zero/1.0/legalcode",
    },
    {
        "identifier": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0 International",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "is_open": True,
        "requires_attribution": True,
        "requires_share_alike": False,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "You are free to share (copy and redistribute the material in any medium or "
        "format) and adapt (remix, transform, and build upon the material) for any purpose, even "
        "commercially, under the following terms: Attribution - you must give appropriate credit, "
        "provide a link to the license, and indicate if changes were made. No additional "
        "restrictions. Full legal code: https://creativecommons.org/licenses/by/4.0/legalcode",
    },
    {
        "identifier": "CC-BY-SA-4.0",
        "title": "Creative Commons Attribution Share Alike 4.0 International",
        "url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "is_open": True,
        "requires_attribution": True,
        "requires_share_alike": True,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "You are free to share and adapt the material for any purpose, even commercially, "
        "under the following terms: Attribution - you must give appropriate credit; ShareAlike - "
        "if you remix, transform, or build upon the material, you must distribute your "
        "contributions under the same license as the original. Full legal code: "
        "https://creativecommons.org/licenses/by-sa/4.0/legalcode",
    },
    {
        "identifier": "CC-BY-NC-4.0",
        "title": "Creative Commons Attribution Non Commercial 4.0 International",
        "url": "https://creativecommons.org/licenses/by-nc/4.0/",
        "is_open": False,
        "requires_attribution": True,
        "requires_share_alike": False,
        "permits_commercial_use": False,
        "research_only": False,
        "text": "You are free to share and adapt the material under the following terms: "
        "Attribution - you must give appropriate credit; NonCommercial - you may not use the "
        "material for commercial purposes. Full legal code: "
        "https://creativecommons.org/licenses/by-nc/4.0/legalcode",
    },
    {
        "identifier": "ODbL-1.0",
        "title": "Open Data Commons Open Database License v1.0",
        "url": "https://opendatacommons.org/licenses/odbl/1-0/",
        "is_open": True,
        "requires_attribution": True,
        "requires_share_alike": True,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "You are free to share, create and adapt the database, as long as you attribute "
        "any public use of the database or works produced from it, share alike any adapted "
        "version of the database under the ODbL, and keep open any redistributed version "
        "without technical restrictions. Full text: https://opendatacommons.org/licenses/odbl/1-0/",
    },
    {
        "identifier": "EUPL-1.2",
        "title": "European Union Public Licence 1.2",
        "url": "https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12",
        "is_open": True,
        "requires_attribution": True,
        "requires_share_alike": True,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "The Licensor grants a worldwide, royalty-free, non-exclusive, sublicensable "
        "licence to use, reproduce, modify, communicate and distribute the Work, provided that "
        "derivative works are distributed under the EUPL or a compatible licence, copyright "
        "notices are kept, and the source is made available. Full text in all EU languages: "
        "https://interoperable-europe.ec.europa.eu/collection/eupl/eupl-text-eupl-12",
    },
    {
        "identifier": "DL-DE-BY-2.0",
        "title": "Data licence Germany - attribution - version 2.0",
        "url": "https://www.govdata.de/dl-de/by-2-0",
        "is_open": True,
        "requires_attribution": True,
        "requires_share_alike": False,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "Any use is permitted, including commercial use, reproduction, distribution, "
        "modification and combination with other data, provided the source is acknowledged. "
        "Full text: https://www.govdata.de/dl-de/by-2-0",
    },
    {
        "identifier": "LicenseRef-Etalab-2.0",
        "title": "Licence Ouverte / Open Licence 2.0 (Etalab)",
        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "is_open": True,
        "requires_attribution": True,
        "requires_share_alike": False,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "La réutilisation de l'Information est libre, y compris à des fins commerciales, "
        "sous réserve de mentionner la paternité de l'Information (source et date de dernière "
        "mise à jour). Texte complet : https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    },
    {
        "identifier": "LicenseRef-Passerelle-Research-Only-1.0",
        "title": "Passerelle restricted research-only terms 1.0",
        "url": "",
        "is_open": False,
        "requires_attribution": True,
        "requires_share_alike": False,
        "permits_commercial_use": False,
        "research_only": True,
        "text": "1. The data may be used only for the non-commercial research purpose stated in "
        "the approved access request. 2. The data may not be re-identified, linked with other "
        "data to single out individuals, or shared with anyone not named in the request. "
        "3. The data must be kept in a secure environment and deleted when access ends. "
        "4. Publications must cite the dataset and the data holder. 5. Any breach must be "
        "reported to the data holder within 72 hours.",
    },
    {
        "identifier": "LicenseRef-Passerelle-Health-Secondary-Use-1.0",
        "title": "Secondary use of electronic health data (EHDS Article 53 purposes) 1.0",
        "url": "",
        "is_open": False,
        "requires_attribution": True,
        "requires_share_alike": False,
        "permits_commercial_use": False,
        "research_only": True,
        "text": "Access is granted for the secondary-use purpose approved by the health data "
        "access body, within a secure processing environment only. Only anonymised statistical "
        "results may leave the environment. Re-identification, use for decisions about "
        "individuals, advertising or insurance pricing is prohibited. The data holder may audit "
        "use and revoke access at any time.",
    },
    {
        "identifier": "LicenseRef-Passerelle-Commercial-Agreement-1.0",
        "title": "Passerelle commercial data-sharing agreement 1.0",
        "url": "",
        "is_open": False,
        "requires_attribution": True,
        "requires_share_alike": False,
        "permits_commercial_use": True,
        "research_only": False,
        "text": "The data may be used by the requesting organisation, including for commercial "
        "purposes, within the scope stated in the request, for the approved period. Onward "
        "distribution of the raw data is not permitted; derived products may be distributed when "
        "the data cannot be reconstructed from them.",
    },
]
