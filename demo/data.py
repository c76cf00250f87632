"""The demo catalogue loaded by ``manage.py seed_demo``: fictional publishers, realistic datasets.

Every organisation here is invented; homepages and e-mail addresses use the reserved ``.example``
top-level domain. Files named in ``files`` live in ``demo/files/``.
"""

# Typographic en dashes (in year ranges) are intended in titles written in real European languages.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEMO_FILES_DIR = Path(__file__).resolve().parent / "files"

# The production settings refuse to start while an account with this domain exists.
DEMO_EMAIL_DOMAIN = "demo.passerelle.invalid"

PUBLIC = "PUBLIC"
RESTRICTED = "RESTRICTED"
NON_PUBLIC = "NON_PUBLIC"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    is_staff: bool = False
    is_superuser: bool = False
    group: str = ""

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class DemoPublisher:
    slug: str
    name: str
    description: str
    homepage: str
    email: str
    country: str
    contact_name: str
    dataset_path: str = "datasets"  # landing pages are {homepage}/{dataset_path}/{slug}


@dataclass(frozen=True)
class DemoFile:
    filename: str  # in DEMO_FILES_DIR; the format is inferred from the extension
    title: str
    description: str = ""


@dataclass(frozen=True)
class DemoService:
    title: str
    access_url: str
    format: str = "API"
    description: str = ""


@dataclass(frozen=True)
class DemoDataset:
    slug: str
    title: str
    description: str
    publisher: str
    data_space: str
    licence: str
    access_rights: str
    themes: tuple[str, ...]
    keywords: tuple[str, ...]
    languages: tuple[str, ...]
    spatial: str
    temporal: tuple[str, str] | None  # ISO dates
    issued: str  # ISO date
    modified: str  # ISO date; stored at 09:00 UTC
    version: str = ""
    files: tuple[DemoFile, ...] = ()
    services: tuple[DemoService, ...] = ()


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "Ada", "Admin", is_staff=True, is_superuser=True),
    DemoAccount("steward", "Sofia", "Steward", is_staff=True, group="Stewards"),
    # Researchers work in the workspace, not the admin: no staff flag.
    DemoAccount("researcher", "Rui", "Researcher", group="Researchers"),
)

PUBLISHERS: tuple[DemoPublisher, ...] = (
    DemoPublisher(
        slug="iafn-niedersachsen",
        name="Institut für Agrarforschung Niedersachsen (IAFN)",
        description="State agricultural research institute in Braunschweig: crop science, soil "
        "physics and livestock health, with a network of long-term field trials. Fictional demo "
        "organisation.",
        homepage="https://www.iafn-niedersachsen.example",
        email="daten@iafn-niedersachsen.example",
        country="DE",
        contact_name="Forschungsdatenmanagement IAFN",
        dataset_path="daten",
    ),
    DemoPublisher(
        slug="observatoire-agricole-val-de-loire",
        name="Observatoire agricole du Val de Loire",
        description="Regional observatory of farm structures, harvests, prices and water quality "
        "in the Loire valley. Fictional demo organisation.",
        homepage="https://www.observatoire-agricole-loire.example",
        email="donnees@observatoire-agricole-loire.example",
        country="FR",
        contact_name="Service statistique de l'Observatoire",
        dataset_path="donnees",
    ),
    DemoPublisher(
        slug="mobilites-grand-rhone",
        name="Autorité des mobilités du Grand Rhône",
        description="Public transport and mobility authority of a metropolitan area on the "
        "Rhône: bus, tram, bike sharing and road traffic. Fictional demo organisation.",
        homepage="https://www.mobilites-grand-rhone.example",
        email="donnees@mobilites-grand-rhone.example",
        country="FR",
        contact_name="Mission données ouvertes",
        dataset_path="donnees",
    ),
    DemoPublisher(
        slug="zorgdata-consortium-randstad",
        name="Zorgdata Consortium Randstad",
        description="Consortium of twelve Dutch hospitals sharing quality, capacity and research "
        "data through a common secure processing environment. Fictional demo organisation.",
        homepage="https://www.zorgdata-randstad.example",
        email="datatoegang@zorgdata-randstad.example",
        country="NL",
        contact_name="Datatoegangscommissie",
        dataset_path="datasets",
    ),
    DemoPublisher(
        slug="energia-adriatica-reti",
        name="Energia Adriatica Reti S.p.A.",
        description="Electricity distribution system operator on the Adriatic coast between "
        "Ravenna and Pesaro. Fictional demo organisation.",
        homepage="https://www.energia-adriatica.example",
        email="opendata@energia-adriatica.example",
        country="IT",
        contact_name="Ufficio Open Data",
        dataset_path="dati",
    ),
    DemoPublisher(
        slug="instituto-estadistica-meseta",
        name="Instituto de Estadística de la Meseta (IEM)",
        description="Regional statistics office: population, labour market, tourism, public "
        "finances and procurement. Fictional demo organisation.",
        homepage="https://www.estadistica-meseta.example",
        email="datos@estadistica-meseta.example",
        country="ES",
        contact_name="Servicio de Difusión Estadística",
        dataset_path="datos",
    ),
    DemoPublisher(
        slug="jarvimaa-university",
        name="Järvimaa University",
        description="Finnish research university: language technology, boreal ecosystems and "
        "hydrology; a node of the European Open Science Cloud. Fictional demo organisation.",
        homepage="https://www.jarvimaa-university.example",
        email="research-data@jarvimaa-university.example",
        country="FI",
        contact_name="Research Data Services",
        dataset_path="data",
    ),
    DemoPublisher(
        slug="archiwum-dziedzictwa-nadwislanskie",
        name="Nadwiślańskie Archiwum Dziedzictwa Kulturowego",
        description="Polish cultural heritage archive: ethnographic collections, photographs, "
        "newsreels and manuscripts of the Vistula region. Fictional demo organisation.",
        homepage="https://www.archiwum-nadwislanskie.example",
        email="zbiory@archiwum-nadwislanskie.example",
        country="PL",
        contact_name="Dział Udostępniania Zbiorów",
        dataset_path="zbiory",
    ),
)

_IAFN = "iafn-niedersachsen"
_OAL = "observatoire-agricole-val-de-loire"
_AMGR = "mobilites-grand-rhone"
_ZCR = "zorgdata-consortium-randstad"
_EAR = "energia-adriatica-reti"
_IEM = "instituto-estadistica-meseta"
_JU = "jarvimaa-university"
_ADK = "archiwum-dziedzictwa-nadwislanskie"

_RESEARCH_ONLY = "LicenseRef-Passerelle-Research-Only-1.0"
_HEALTH = "LicenseRef-Passerelle-Health-Secondary-Use-1.0"
_COMMERCIAL = "LicenseRef-Passerelle-Commercial-Agreement-1.0"
_ETALAB = "LicenseRef-Etalab-2.0"

DATASETS: tuple[DemoDataset, ...] = (
    # --- Institut für Agrarforschung Niedersachsen ------------------------------------------
    DemoDataset(
        slug="bodenfeuchte-messnetz-niedersachsen",
        title="Bodenfeuchte-Messnetz Niedersachsen: Stundenwerte 2019–2024",
        description="Stündliche Messwerte der volumetrischen Bodenfeuchte in 10, 30 und 60 cm "
        "Tiefe an 42 Dauerbeobachtungsflächen des IAFN, dazu Bodentemperatur und Niederschlag. "
        "Die Stationen liegen auf Acker- und Grünlandstandorten zwischen Emsland und Harz. Die "
        "Werte sind plausibilisiert; Lücken durch Sensorausfälle sind gekennzeichnet. Grundlage "
        "für das Dürremonitoring und die Beregnungsberatung.",
        publisher=_IAFN,
        data_space="agriculture",
        licence="DL-DE-BY-2.0",
        access_rights=PUBLIC,
        themes=("AGRI", "ENVI"),
        keywords=("Bodenfeuchte", "Bodentemperatur", "Niederschlag", "Messnetz", "Dürre"),
        languages=("de",),
        spatial="Niedersachsen, Deutschland",
        temporal=("2019-01-01", "2024-12-31"),
        issued="2020-03-02",
        modified="2025-01-15",
        version="2025.1",
        files=(
            DemoFile(
                "bodenfeuchte_messnetz_2024-06-15.json",
                "Auszug 15. Juni 2024, 3-Stunden-Werte (JSON)",
                "Vier Stationen, alle Messgrößen, als Beispiel für das Datenformat.",
            ),
        ),
        services=(
            DemoService(
                "OGC API – Features: Stationen und Stundenwerte",
                "https://api.iafn-niedersachsen.example/ogcapi/collections/bodenfeuchte",
                description="Abfrage nach Station, Zeitraum und Messgröße; GeoJSON oder CSV.",
            ),
        ),
    ),
    DemoDataset(
        slug="winterweizen-sortenversuche",
        title="Winterweizen-Sortenversuche: Erträge und Qualitätsmerkmale 2015–2024",
        description="Ergebnisse der Landessortenversuche mit Winterweizen an zwölf "
        "Versuchsstandorten: Kornertrag (dt/ha), Rohproteingehalt, Fallzahl und "
        "Tausendkornmasse je Sorte, Jahr und Intensitätsstufe (mit und ohne Fungizid). Die Ernte "
        "erfolgte mit dem Parzellenmähdrescher; Erträge sind auf 86 % Trockensubstanz bezogen.",
        publisher=_IAFN,
        data_space="agriculture",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("AGRI", "TECH"),
        keywords=("Winterweizen", "Sortenversuch", "Kornertrag", "Rohprotein", "Ernte"),
        languages=("de",),
        spatial="Niedersachsen, Deutschland",
        temporal=("2015-08-01", "2024-07-31"),
        issued="2016-02-10",
        modified="2024-11-04",
        version="10",
        files=(
            DemoFile(
                "winterweizen_sortenversuche_2022_2024.csv",
                "Ergebnisse 2022–2024, drei Standorte (CSV)",
            ),
        ),
    ),
    DemoDataset(
        slug="nitrate-leaching-lysimeters",
        title="Nitrate leaching from lysimeter stations under arable crop rotations, 2008–2023",
        description="Weekly drainage volumes and nitrate-N concentrations from 24 weighable "
        "lysimeters filled with undisturbed soil monoliths (sand, loess and marsh soils). Crop "
        "rotation, fertilisation and harvest dates are given for each lysimeter. Used to "
        "calibrate nitrogen balance models for Nitrates Directive reporting.",
        publisher=_IAFN,
        data_space="green-deal",
        licence="CC-BY-SA-4.0",
        access_rights=PUBLIC,
        themes=("AGRI", "ENVI"),
        keywords=("nitrate", "leaching", "lysimeter", "groundwater", "nitrogen balance"),
        languages=("en",),
        spatial="Lower Saxony, Germany",
        temporal=("2008-01-01", "2023-12-31"),
        issued="2019-05-20",
        modified="2024-06-30",
        version="3.0",
    ),
    DemoDataset(
        slug="milchvieh-tiergesundheit",
        title="Tiergesundheitsdaten aus Milchviehbetrieben (pseudonymisiert)",
        description="Pseudonymisierte Befunde aus 180 Praxisbetrieben: Eutergesundheit "
        "(somatische Zellzahl), Lahmheit, Stoffwechselstörungen und Behandlungen je Tier und "
        "Laktation. Zugang nur für Forschungsvorhaben nach Prüfung durch den "
        "Datenzugangsausschuss, da Rückschlüsse auf einzelne Betriebe möglich sind.",
        publisher=_IAFN,
        data_space="agriculture",
        licence=_RESEARCH_ONLY,
        access_rights=RESTRICTED,
        themes=("AGRI", "HEAL"),
        keywords=("Milchvieh", "Tiergesundheit", "Eutergesundheit", "Lahmheit", "Tierwohl"),
        languages=("de", "en"),
        spatial="Niedersachsen, Deutschland",
        temporal=("2018-01-01", "2024-06-30"),
        issued="2022-09-01",
        modified="2025-03-12",
        version="1.4",
        files=(
            DemoFile(
                "tiergesundheit_milchvieh_stichprobe.csv",
                "Stichprobe: 35 Prüfdatensätze aus sechs Betrieben (CSV)",
                "Ein Datensatz je Tier und Milchleistungsprüfung, mit Befund und Behandlung; "
                "Betriebe und Tiere pseudonymisiert.",
            ),
        ),
    ),
    DemoDataset(
        slug="crop-phenology-sentinel2",
        title="Crop phenology observations matched with Sentinel-2 vegetation indices",
        description="Field observations of BBCH growth stages for winter wheat, barley, rapeseed "
        "and maize on 310 plots, matched with cloud-free Sentinel-2 NDVI and red-edge indices of "
        "the same week. A training set for remote-sensing models of crop development.",
        publisher=_IAFN,
        data_space="agriculture",
        licence="CC0-1.0",
        access_rights=PUBLIC,
        themes=("AGRI", "TECH"),
        keywords=("phenology", "Sentinel-2", "NDVI", "remote sensing", "BBCH"),
        languages=("en",),
        spatial="Lower Saxony, Germany",
        temporal=("2017-03-01", "2024-10-31"),
        issued="2021-01-18",
        modified="2025-02-03",
    ),
    DemoDataset(
        slug="biogasanlagen-substrate-gasertraege",
        title="Substrateinsatz und Gaserträge niedersächsischer Biogasanlagen",
        description="Jährliche Angaben von 260 Biogasanlagen zu eingesetzten Substraten "
        "(Maissilage, Gülle, Grassilage, Reststoffe), Methanausbeute und erzeugter Strom- und "
        "Wärmemenge. Auf Landkreisebene aggregiert, damit keine Einzelanlage erkennbar ist.",
        publisher=_IAFN,
        data_space="energy",
        licence="DL-DE-BY-2.0",
        access_rights=PUBLIC,
        themes=("ENER", "AGRI"),
        keywords=("Biogas", "Maissilage", "Gülle", "Methan", "erneuerbare Energie"),
        languages=("de",),
        spatial="Niedersachsen, Deutschland",
        temporal=("2012-01-01", "2023-12-31"),
        issued="2018-04-16",
        modified="2024-09-09",
    ),
    DemoDataset(
        slug="agri-machinery-telemetry",
        title="Tractor and harvester telemetry from on-farm trials (ISOBUS/CAN bus)",
        description="One-second CAN-bus and ISOBUS logs from 38 tractors and combine harvesters: "
        "engine load, fuel consumption, wheel slip, implement settings and GNSS position. "
        "Shared with machinery manufacturers and agri-tech companies under a commercial "
        "data-sharing agreement for precision-farming and predictive-maintenance work.",
        publisher=_IAFN,
        data_space="industrial-manufacturing",
        licence=_COMMERCIAL,
        access_rights=RESTRICTED,
        themes=("AGRI", "TECH"),
        keywords=("telemetry", "CAN bus", "ISOBUS", "fuel consumption", "precision farming"),
        languages=("en",),
        spatial="Germany",
        temporal=("2021-04-01", "2024-10-31"),
        issued="2023-03-01",
        modified="2025-05-20",
        version="2.0",
        files=(
            DemoFile(
                "tractor_telemetry_sample_1hz.csv",
                "Sample: 40 seconds of one tractor cultivating, 1 Hz (CSV)",
                "Decoded CAN-bus and ISOBUS signals with GNSS position, as delivered per "
                "machine and day.",
            ),
        ),
    ),
    # --- Observatoire agricole du Val de Loire ------------------------------------------------
    DemoDataset(
        slug="rendements-recoltes-val-de-loire",
        title="Rendements des récoltes par département et par culture, 2019–2023",
        description="Surfaces, productions et rendements des principales grandes cultures (blé "
        "tendre, orge d'hiver, colza, maïs grain) dans les six départements du Val de Loire. "
        "Les rendements des récoltes sont exprimés en quintaux par hectare et consolidés à "
        "partir de la statistique agricole annuelle et des déclarations des coopératives. La "
        "récolte 2020, marquée par la sécheresse de printemps, est nettement inférieure.",
        publisher=_OAL,
        data_space="agriculture",
        licence=_ETALAB,
        access_rights=PUBLIC,
        themes=("AGRI", "REGI"),
        keywords=("récolte", "rendement", "blé tendre", "colza", "grandes cultures"),
        languages=("fr",),
        spatial="Centre-Val de Loire, France",
        temporal=("2019-01-01", "2023-12-31"),
        issued="2020-06-15",
        modified="2024-03-28",
        version="2024",
        files=(
            DemoFile(
                "rendements_recoltes_val_de_loire_2019_2023.csv",
                "Rendements par département, culture et année (CSV)",
                "Une ligne par département, culture et année ; séparateur virgule, UTF-8.",
            ),
        ),
    ),
    DemoDataset(
        slug="cotations-marches-agricoles-loire",
        title="Cotations hebdomadaires des marchés agricoles ligériens",
        description="Prix hebdomadaires des céréales, des oléagineux et des bovins relevés sur "
        "les marchés physiques et auprès des organismes stockeurs de la région : blé tendre "
        "rendu Rouen, orge de brasserie, colza, broutards et vaches de réforme. Séries depuis "
        "2010, en euros par tonne ou par kilo de carcasse.",
        publisher=_OAL,
        data_space="agriculture",
        licence=_ETALAB,
        access_rights=PUBLIC,
        themes=("AGRI", "ECON"),
        keywords=("prix agricoles", "cotations", "céréales", "bovins", "marchés"),
        languages=("fr",),
        spatial="Centre-Val de Loire, France",
        temporal=("2010-01-04", "2026-11-23"),
        issued="2015-01-12",
        modified="2026-11-24",
    ),
    DemoDataset(
        slug="qualite-eaux-bassins-versants-agricoles",
        title="Qualité des eaux superficielles : nitrates et pesticides dans les bassins versants "
        "agricoles",
        description="Concentrations mensuelles en nitrates et en 85 substances actives de "
        "pesticides mesurées à 64 stations de suivi des rivières du bassin de la Loire moyenne, "
        "avec l'occupation agricole des sols de chaque bassin versant. Monthly nitrate and "
        "pesticide concentrations in agricultural catchments of the middle Loire.",
        publisher=_OAL,
        data_space="green-deal",
        licence="ODbL-1.0",
        access_rights=PUBLIC,
        themes=("ENVI", "AGRI"),
        keywords=("qualité de l'eau", "nitrates", "pesticides", "bassin versant", "Loire"),
        languages=("fr", "en"),
        spatial="Bassin de la Loire, France",
        temporal=("2012-01-01", "2025-12-31"),
        issued="2017-09-05",
        modified="2026-02-17",
    ),
    DemoDataset(
        slug="dates-vendanges-vignoble-loire",
        title="Dates de vendanges et maturité du raisin dans le vignoble de Loire, 1990–2024",
        description="Dates de début des vendanges, teneur en sucre, acidité totale et degré "
        "potentiel à la récolte pour le chenin, le sauvignon et le cabernet franc dans 40 "
        "parcelles de référence. Une série longue pour étudier l'effet du changement climatique "
        "sur la viticulture.",
        publisher=_OAL,
        data_space="agriculture",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("AGRI", "ENVI"),
        keywords=("vendanges", "viticulture", "maturité", "changement climatique", "raisin"),
        languages=("fr",),
        spatial="Vignoble de Loire, France",
        temporal=("1990-08-01", "2024-10-31"),
        issued="2012-03-01",
        modified="2024-12-02",
    ),
    DemoDataset(
        slug="assolements-exploitations-donnees-individuelles",
        title="Assolements et pratiques culturales des exploitations (données individuelles)",
        description="Données individuelles de 1 450 exploitations du panel de l'Observatoire : "
        "assolement à la parcelle, itinéraires techniques, fertilisation et traitements. Les "
        "exploitations sont identifiables : accès réservé à la recherche, après avis du comité "
        "d'accès, dans un environnement sécurisé.",
        publisher=_OAL,
        data_space="agriculture",
        licence=_RESEARCH_ONLY,
        access_rights=RESTRICTED,
        themes=("AGRI", "GOVE"),
        keywords=("assolement", "exploitations agricoles", "pratiques culturales", "panel"),
        languages=("fr",),
        spatial="Centre-Val de Loire, France",
        temporal=("2015-01-01", "2024-12-31"),
        issued="2021-11-08",
        modified="2025-06-10",
        version="2024.2",
        files=(
            DemoFile(
                "assolements_parcelles_extrait_2023.csv",
                "Extrait : campagne 2023, six exploitations, une ligne par parcelle (CSV)",
                "Exploitations pseudonymisées, parcelles sans géométrie ; séparateur virgule, "
                "UTF-8.",
            ),
        ),
    ),
    # --- Autorité des mobilités du Grand Rhône ----------------------------------------------
    DemoDataset(
        slug="stations-velos-libre-service-grand-rhone",
        title="Stations de vélos en libre-service du Grand Rhône",
        description="Emplacement, capacité et type (mécanique, électrique ou mixte) des stations "
        "du réseau VéloRhône, mis à jour chaque nuit. La disponibilité des vélos et des bornes "
        "en temps réel est servie par le flux GBFS. Bike-sharing stations with capacity and "
        "type; real-time availability through GBFS.",
        publisher=_AMGR,
        data_space="mobility",
        licence="ODbL-1.0",
        access_rights=PUBLIC,
        themes=("TRAN", "REGI"),
        keywords=("vélo", "vélopartage", "stations", "mobilité douce", "GBFS"),
        languages=("fr", "en"),
        spatial="Métropole du Grand Rhône, France",
        temporal=None,
        issued="2016-09-01",
        modified="2026-11-20",
        files=(
            DemoFile(
                "stations_velo_grand_rhone.geojson",
                "Stations VéloRhône (GeoJSON, WGS 84)",
            ),
        ),
        services=(
            DemoService(
                "Flux GBFS 2.3 : disponibilité en temps réel",
                "https://api.mobilites-grand-rhone.example/gbfs/2.3/gbfs.json",
            ),
        ),
    ),
    DemoDataset(
        slug="horaires-transports-en-commun-gtfs",
        title="Horaires théoriques du réseau de transports en commun (GTFS)",
        description="Arrêts, lignes, courses et horaires théoriques des bus, tramways et "
        "funiculaires du réseau urbain au format GTFS, publiés à chaque changement de service. "
        "Les perturbations et les prochains passages sont disponibles en GTFS-RT.",
        publisher=_AMGR,
        data_space="mobility",
        licence=_ETALAB,
        access_rights=PUBLIC,
        themes=("TRAN",),
        keywords=("GTFS", "horaires", "bus", "tramway", "arrêts"),
        languages=("fr",),
        spatial="Métropole du Grand Rhône, France",
        temporal=("2025-09-01", "2026-07-05"),
        issued="2014-05-01",
        modified="2026-08-28",
        version="2025-2026",
        services=(
            DemoService(
                "GTFS-RT : perturbations et prochains passages",
                "https://api.mobilites-grand-rhone.example/gtfs-rt/trip-updates",
                description="Protocol Buffers, rafraîchi toutes les 30 secondes.",
            ),
        ),
    ),
    DemoDataset(
        slug="comptages-routiers-boucles",
        title="Comptages routiers horaires sur les boucles électromagnétiques",
        description="Débit horaire, taux d'occupation et vitesse moyenne relevés par 312 boucles "
        "de comptage sur les voies structurantes, les ponts du Rhône et de la Saône et les "
        "entrées d'agglomération. Fichiers mensuels ; le fichier LISEZMOI décrit les colonnes "
        "et les codes de qualité.",
        publisher=_AMGR,
        data_space="mobility",
        licence=_ETALAB,
        access_rights=PUBLIC,
        themes=("TRAN", "REGI"),
        keywords=("trafic routier", "comptages", "boucles", "débit", "vitesse"),
        languages=("fr",),
        spatial="Métropole du Grand Rhône, France",
        temporal=("2018-01-01", "2026-10-31"),
        issued="2019-02-14",
        modified="2026-11-03",
        files=(
            DemoFile(
                "README_comptages_routiers.txt",
                "LISEZMOI : description des fichiers et des colonnes (TXT)",
            ),
        ),
    ),
    DemoDataset(
        slug="enquete-menages-deplacements-2022",
        title="Enquête ménages-déplacements 2022 : fichiers détaillés",
        description="Fichiers ménages, personnes et déplacements de l'enquête 2022 (9 800 "
        "ménages, 21 000 personnes) : motifs, modes, horaires et origines-destinations à la "
        "zone fine. Données individuelles réservées à la recherche ; les résultats agrégés sont "
        "publiés séparément.",
        publisher=_AMGR,
        data_space="mobility",
        licence=_RESEARCH_ONLY,
        access_rights=RESTRICTED,
        themes=("TRAN", "SOCI"),
        keywords=("enquête déplacements", "mobilité quotidienne", "ménages", "origine-destination"),
        languages=("fr",),
        spatial="Métropole du Grand Rhône, France",
        temporal=("2022-01-10", "2022-06-24"),
        issued="2023-10-02",
        modified="2024-05-15",
        version="1.1",
        files=(
            DemoFile(
                "emd2022_deplacements_extrait.csv",
                "Extrait du fichier déplacements : six ménages (CSV)",
                "Une ligne par déplacement, avec motifs, mode principal, zones fines et poids "
                "du ménage.",
            ),
        ),
    ),
    DemoDataset(
        slug="frequentation-sites-touristiques-parcs-relais",
        title="Fréquentation des sites touristiques et des parcs relais en saison estivale",
        description="Entrées journalières de 22 sites touristiques (musées, belvédères, "
        "navettes fluviales) et taux de remplissage des parcs relais de juin à septembre. "
        "Daily visitor counts at tourist sites and park-and-ride occupancy in summer.",
        publisher=_AMGR,
        data_space="tourism",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("TRAN", "REGI", "ECON"),
        keywords=("tourisme", "fréquentation", "parcs relais", "saison estivale"),
        languages=("fr", "en"),
        spatial="Métropole du Grand Rhône, France",
        temporal=("2021-06-01", "2026-09-30"),
        issued="2022-04-01",
        modified="2026-10-12",
    ),
    DemoDataset(
        slug="marches-publics-autorite-mobilites",
        title="Données essentielles des marchés publics de l'autorité des mobilités",
        description="Marchés publics attribués depuis 2018 : objet, procédure, titulaire, "
        "montant, durée et lieu d'exécution, au format des données essentielles de la commande "
        "publique (DECP). Mis à jour chaque mois.",
        publisher=_AMGR,
        data_space="public-administration",
        licence=_ETALAB,
        access_rights=PUBLIC,
        themes=("GOVE", "ECON"),
        keywords=("marchés publics", "commande publique", "DECP", "attributions"),
        languages=("fr",),
        spatial="France",
        temporal=("2018-10-01", "2026-10-31"),
        issued="2019-01-07",
        modified="2026-11-02",
    ),
    # --- Zorgdata Consortium Randstad ---------------------------------------------------------
    DemoDataset(
        slug="wachttijden-ziekenhuizen-specialisme",
        title="Wachttijden voor polikliniek en behandeling per specialisme, 2024",
        description="Gemiddelde toegangstijden in weken voor een eerste polikliniekbezoek en "
        "voor behandeling, per ziekenhuislocatie en specialisme, maandelijks gerapporteerd door "
        "de deelnemende ziekenhuizen. Geaggregeerde gegevens zonder patiëntinformatie.",
        publisher=_ZCR,
        data_space="health",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("HEAL",),
        keywords=("wachttijden", "ziekenhuizen", "polikliniek", "toegangstijd", "zorgcapaciteit"),
        languages=("nl",),
        spatial="Noord-Holland en Utrecht, Nederland",
        temporal=("2024-01-01", "2024-12-31"),
        issued="2024-02-20",
        modified="2025-01-22",
        files=(
            DemoFile(
                "wachttijden_specialisme_2024.csv",
                "Toegangstijden per locatie, specialisme en maand (CSV)",
            ),
        ),
    ),
    DemoDataset(
        slug="ic-opnames-luchtweginfecties-cohort",
        title="Cohort van IC-opnames met ernstige luchtweginfecties, 2020–2023",
        description="Gepseudonimiseerde gegevens van 4 812 opnames op de intensive care met "
        "COVID-19, influenza of bacteriële pneumonie: ernstscores, beademing, ECMO, "
        "labwaarden en uitkomst na 90 dagen. Alleen beschikbaar voor secundair gebruik na "
        "goedkeuring, in de beveiligde verwerkingsomgeving; het codeboek is openbaar.",
        publisher=_ZCR,
        data_space="health",
        licence=_HEALTH,
        access_rights=NON_PUBLIC,
        themes=("HEAL", "TECH"),
        keywords=("intensive care", "COVID-19", "luchtweginfecties", "cohort", "beademing"),
        languages=("nl", "en"),
        spatial="Nederland",
        temporal=("2020-03-01", "2023-12-31"),
        issued="2024-02-05",
        modified="2024-09-16",
        version="1.1",
        files=(DemoFile("codeboek_ic_cohort.txt", "Codeboek met variabelen (TXT)"),),
        services=(
            DemoService(
                "FHIR R4-endpoint in de beveiligde verwerkingsomgeving",
                "https://spe.zorgdata-randstad.example/fhir/r4",
                format="FHIR",
                description="Alleen bereikbaar vanuit de beveiligde omgeving met een geldig "
                "toegangsbesluit.",
            ),
        ),
    ),
    DemoDataset(
        slug="type-2-diabetes-care-pathway-registry",
        title="Type 2 diabetes care pathway registry (pseudonymised)",
        description="Longitudinal, pseudonymised records of 31,000 patients with type 2 "
        "diabetes treated in the consortium's hospitals and affiliated GP practices: HbA1c, "
        "medication, complications and hospital admissions. Secondary use under the European "
        "Health Data Space rules only.",
        publisher=_ZCR,
        data_space="health",
        licence=_HEALTH,
        access_rights=NON_PUBLIC,
        themes=("HEAL",),
        keywords=("diabetes", "HbA1c", "registry", "chronic disease", "care pathway"),
        languages=("en",),
        spatial="Netherlands",
        temporal=("2012-01-01", "2025-06-30"),
        issued="2021-06-01",
        modified="2025-09-08",
        version="5.0",
    ),
    DemoDataset(
        slug="chest-radiographs-deidentified",
        title="De-identified chest radiographs with structured radiologist reports",
        description="86,000 de-identified chest X-ray images (DICOM) with structured findings "
        "(consolidation, effusion, cardiomegaly, pneumothorax) labelled by two radiologists. "
        "For training and validating diagnostic AI under an approved research protocol.",
        publisher=_ZCR,
        data_space="health",
        licence=_HEALTH,
        access_rights=RESTRICTED,
        themes=("HEAL", "TECH"),
        keywords=("radiology", "chest X-ray", "DICOM", "medical imaging", "machine learning"),
        languages=("en",),
        spatial="Netherlands",
        temporal=("2016-01-01", "2023-12-31"),
        issued="2024-05-13",
        modified="2025-04-01",
        files=(
            DemoFile(
                "cxr_structured_reports_sample.json",
                "Sample of the structured reports: eight studies (JSON)",
                "Findings of both readers and the consensus; the images come through the "
                "DICOMweb endpoint.",
            ),
        ),
        services=(
            DemoService(
                "DICOMweb (WADO-RS) endpoint",
                "https://spe.zorgdata-randstad.example/dicomweb",
                description="Study and series retrieval for approved projects.",
            ),
        ),
    ),
    DemoDataset(
        slug="antimicrobiele-resistentie-isolaten",
        title="Antimicrobiële resistentie in klinische isolaten, per kwartaal",
        description="Percentages resistente isolaten van E. coli, K. pneumoniae, S. aureus en "
        "P. aeruginosa voor de belangrijkste antibiotica, per kwartaal en per type afdeling. "
        "Geaggregeerd uit de laboratoriumsystemen van de deelnemende ziekenhuizen.",
        publisher=_ZCR,
        data_space="health",
        licence="CC-BY-SA-4.0",
        access_rights=PUBLIC,
        themes=("HEAL",),
        keywords=("antibioticaresistentie", "surveillance", "microbiologie", "isolaten"),
        languages=("nl",),
        spatial="Nederland",
        temporal=("2015-01-01", "2026-09-30"),
        issued="2016-05-01",
        modified="2026-10-27",
    ),
    DemoDataset(
        slug="federated-hospital-discharge-statistics",
        title="Federated analysis node: hospital discharge statistics (Personal Health Train)",
        description="Discharge records of twelve hospitals stay in place; approved researchers "
        "send analysis containers to the federated node and receive aggregate results only. "
        "Covers diagnoses, procedures, length of stay and readmissions.",
        publisher=_ZCR,
        data_space="research-eosc",
        licence=_RESEARCH_ONLY,
        access_rights=RESTRICTED,
        themes=("HEAL", "TECH"),
        keywords=("federated analysis", "Personal Health Train", "FAIR", "hospital discharges"),
        languages=("en",),
        spatial="Netherlands",
        temporal=("2018-01-01", "2026-06-30"),
        issued="2023-01-16",
        modified="2026-07-14",
        files=(
            DemoFile(
                "federated_node_example_result_readmissions.csv",
                "Example result returned by the node: 30-day readmissions (CSV)",
                "What an approved analysis sends back: aggregates only, counts under 10 "
                "suppressed.",
            ),
        ),
        services=(
            DemoService(
                "Federated analysis station API",
                "https://pht.zorgdata-randstad.example/api/v2",
                description="Submit a signed analysis container; results are released after "
                "a disclosure check.",
            ),
        ),
    ),
    # --- Energia Adriatica Reti ---------------------------------------------------------------
    DemoDataset(
        slug="carico-orario-rete-distribuzione",
        title="Carico orario della rete di distribuzione per cabina primaria, 2024",
        description="Prelievi orari aggregati (MW) per cabina primaria della rete di media "
        "tensione tra Ravenna e Pesaro, con la stima della produzione fotovoltaica distribuita. "
        "I dati sono aggregati per proteggere i singoli clienti. Utili per studi di "
        "flessibilità e di pianificazione della rete.",
        publisher=_EAR,
        data_space="energy",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ENER",),
        keywords=("carico elettrico", "rete di distribuzione", "cabina primaria", "fotovoltaico"),
        languages=("it",),
        spatial="Emilia-Romagna e Marche, Italia",
        temporal=("2024-01-01", "2024-12-31"),
        issued="2024-02-01",
        modified="2025-01-10",
        files=(
            DemoFile(
                "carico_orario_cabine_primarie_2024-01-15.csv",
                "Esempio: 15 gennaio 2024, quattro cabine primarie (CSV)",
            ),
        ),
    ),
    DemoDataset(
        slug="impianti-fotovoltaici-connessi-comune",
        title="Impianti fotovoltaici connessi alla rete per comune",
        description="Numero di impianti fotovoltaici connessi alla rete di distribuzione, "
        "potenza installata (kW) e sistemi di accumulo, per comune e classe di potenza, "
        "aggiornati ogni trimestre.",
        publisher=_EAR,
        data_space="energy",
        licence="CC0-1.0",
        access_rights=PUBLIC,
        themes=("ENER", "REGI"),
        keywords=("fotovoltaico", "generazione distribuita", "accumulo", "comuni"),
        languages=("it",),
        spatial="Emilia-Romagna e Marche, Italia",
        temporal=("2010-01-01", "2026-09-30"),
        issued="2017-07-03",
        modified="2026-10-15",
    ),
    DemoDataset(
        slug="smart-meter-consumption-panel",
        title="Smart-meter consumption panel of 5,000 households (15-minute readings)",
        description="Quarter-hourly electricity consumption of a panel of 5,000 consenting "
        "households, with dwelling type, heating system, heat pumps, electric vehicles and "
        "rooftop solar. Available to energy-service companies and researchers under a "
        "commercial data-sharing agreement.",
        publisher=_EAR,
        data_space="energy",
        licence=_COMMERCIAL,
        access_rights=RESTRICTED,
        themes=("ENER", "SOCI"),
        keywords=("smart meter", "electricity consumption", "households", "demand response"),
        languages=("en", "it"),
        spatial="Emilia-Romagna, Italy",
        temporal=("2022-01-01", "2026-06-30"),
        issued="2023-02-14",
        modified="2026-07-01",
        version="2026Q2",
        files=(
            DemoFile(
                "smart_meter_panel_sample_2024-01-17.json",
                "Sample: four households on 17 January 2024, 15-minute readings (JSON)",
                "Import and export in kWh per quarter hour, with each household's equipment.",
            ),
        ),
    ),
    DemoDataset(
        slug="interruzioni-servizio-elettrico",
        title="Interruzioni del servizio elettrico: numero e durata per comune",
        description="Interruzioni lunghe e brevi senza preavviso, con durata cumulata per "
        "cliente (minuti) e causa (guasto, eventi meteorologici, terzi), per comune e per anno, "
        "secondo gli indicatori di continuità del servizio.",
        publisher=_EAR,
        data_space="energy",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ENER", "GOVE"),
        keywords=("interruzioni", "continuità del servizio", "guasti", "qualità"),
        languages=("it",),
        spatial="Emilia-Romagna e Marche, Italia",
        temporal=("2015-01-01", "2025-12-31"),
        issued="2016-04-29",
        modified="2026-04-30",
        services=(
            DemoService(
                "API REST interruzioni in corso",
                "https://api.energia-adriatica.example/v1/interruzioni",
                description="Interruzioni in corso e programmate, aggiornate ogni 5 minuti.",
            ),
        ),
    ),
    DemoDataset(
        slug="emissioni-co2-centrali-termoelettriche",
        title="Emissioni di CO2 e intensità carbonica delle centrali termoelettriche",
        description="Emissioni annue di CO2, produzione netta e intensità carbonica (g/kWh) "
        "delle centrali termoelettriche connesse alla rete, confrontate con la quota di "
        "rinnovabili. Annual CO2 emissions and carbon intensity of thermal power plants.",
        publisher=_EAR,
        data_space="green-deal",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ENVI", "ENER"),
        keywords=("emissioni", "CO2", "intensità carbonica", "decarbonizzazione"),
        languages=("it", "en"),
        spatial="Italia",
        temporal=("2005-01-01", "2025-12-31"),
        issued="2014-06-05",
        modified="2026-05-18",
    ),
    DemoDataset(
        slug="transformer-dissolved-gas-analysis",
        title="Predictive maintenance of power transformers: dissolved gas analysis",
        description="Dissolved gas analysis (hydrogen, methane, ethylene, acetylene), oil "
        "temperature, load and failure records of 1,200 distribution transformers. Shared with "
        "equipment manufacturers to train failure-prediction models.",
        publisher=_EAR,
        data_space="industrial-manufacturing",
        licence=_COMMERCIAL,
        access_rights=RESTRICTED,
        themes=("ENER", "TECH"),
        keywords=("predictive maintenance", "transformers", "dissolved gas analysis", "failures"),
        languages=("en",),
        spatial="Italy",
        temporal=("2009-01-01", "2025-12-31"),
        issued="2022-10-10",
        modified="2026-01-20",
        files=(
            DemoFile(
                "transformer_dga_sample.csv",
                "Sample: 28 oil analyses with Duval zone and failure outcome (CSV)",
            ),
        ),
    ),
    DemoDataset(
        slug="regulatory-accounts-tariff-components",
        title="Regulatory accounts and tariff components of the distribution operator",
        description="Unbundled regulatory accounts, regulated asset base, allowed revenue and "
        "network tariff components per customer class, as reported to the energy regulator.",
        publisher=_EAR,
        data_space="finance",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ECON", "ENER"),
        keywords=("regulatory accounts", "tariffs", "allowed revenue", "asset base"),
        languages=("en", "it"),
        spatial="Italy",
        temporal=("2016-01-01", "2025-12-31"),
        issued="2017-07-31",
        modified="2026-07-30",
    ),
    # --- Instituto de Estadística de la Meseta ------------------------------------------------
    DemoDataset(
        slug="pernoctaciones-hoteleras-provincia-mes",
        title="Pernoctaciones en establecimientos hoteleros por provincia y mes, 2023",
        description="Viajeros entrados, pernoctaciones y estancia media en hoteles y hostales "
        "de las provincias de Toledo, Ciudad Real, Cuenca, Guadalajara y Albacete, desglosados "
        "según la residencia del viajero. Procede de la encuesta mensual de ocupación hotelera.",
        publisher=_IEM,
        data_space="tourism",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ECON", "REGI"),
        keywords=("turismo", "pernoctaciones", "ocupación hotelera", "viajeros", "hostelería"),
        languages=("es",),
        spatial="Castilla-La Mancha, España",
        temporal=("2023-01-01", "2023-12-31"),
        issued="2024-02-23",
        modified="2024-03-04",
        files=(
            DemoFile(
                "pernoctaciones_hoteleras_2023.csv",
                "Viajeros y pernoctaciones por provincia, mes y residencia (CSV)",
            ),
        ),
    ),
    DemoDataset(
        slug="poblacion-municipio-sexo-edad",
        title="Población por municipio, sexo y grupo de edad (padrón continuo)",
        description="Población empadronada a 1 de enero en cada municipio, por sexo y grupos "
        "quinquenales de edad, con la nacionalidad (española o extranjera). Serie anual desde "
        "1998.",
        publisher=_IEM,
        data_space="public-administration",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("SOCI", "REGI"),
        keywords=("población", "padrón", "municipios", "demografía", "edad"),
        languages=("es",),
        spatial="Castilla-La Mancha, España",
        temporal=("1998-01-01", "2026-01-01"),
        issued="2005-06-30",
        modified="2026-04-15",
    ),
    DemoDataset(
        slug="encuesta-poblacion-activa-microdatos",
        title="Microdatos de la encuesta de población activa, muestra regional ampliada",
        description="Ficheros de microdatos trimestrales de la encuesta de población activa "
        "con la muestra ampliada regional: actividad, ocupación, paro, nivel de formación y "
        "sector. Acceso restringido a investigadores por riesgo de identificación en "
        "municipios pequeños.",
        publisher=_IEM,
        data_space="skills",
        licence=_RESEARCH_ONLY,
        access_rights=RESTRICTED,
        themes=("SOCI", "ECON"),
        keywords=("mercado laboral", "paro", "ocupación", "microdatos", "formación"),
        languages=("es",),
        spatial="Castilla-La Mancha, España",
        temporal=("2005-01-01", "2026-09-30"),
        issued="2010-11-02",
        modified="2026-10-30",
        files=(
            DemoFile(
                "epa_microdatos_muestra_ficticia_2024T2.csv",
                "Muestra ficticia con el diseño de registro, segundo trimestre de 2024 (CSV)",
                "Diez viviendas inventadas para probar programas de lectura; no contiene datos "
                "de la encuesta.",
            ),
        ),
    ),
    DemoDataset(
        slug="insercion-laboral-formacion-profesional",
        title="Inserción laboral de los titulados de formación profesional",
        description="Tasa de afiliación a la Seguridad Social, tipo de contrato y base de "
        "cotización de los titulados de formación profesional al año y a los tres años de "
        "terminar, por familia profesional y grado.",
        publisher=_IEM,
        data_space="skills",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "SOCI"),
        keywords=("formación profesional", "inserción laboral", "empleo", "titulados"),
        languages=("es",),
        spatial="Castilla-La Mancha, España",
        temporal=("2017-01-01", "2025-12-31"),
        issued="2021-03-10",
        modified="2026-03-11",
    ),
    DemoDataset(
        slug="deuda-presupuestos-ayuntamientos",
        title="Deuda viva y presupuestos liquidados de los ayuntamientos",
        description="Ingresos y gastos liquidados por capítulo económico, deuda viva a 31 de "
        "diciembre y remanente de tesorería de cada ayuntamiento. Datos consultables también "
        "mediante la API JSON-stat del Instituto.",
        publisher=_IEM,
        data_space="finance",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ECON", "GOVE"),
        keywords=("deuda pública", "presupuestos", "ayuntamientos", "hacienda local"),
        languages=("es",),
        spatial="Castilla-La Mancha, España",
        temporal=("2010-01-01", "2025-12-31"),
        issued="2013-09-16",
        modified="2026-09-21",
        services=(
            DemoService(
                "API JSON-stat de series estadísticas",
                "https://api.estadistica-meseta.example/jsonstat/v1/haciendas-locales",
            ),
        ),
    ),
    DemoDataset(
        slug="business-demography-financial-statements",
        title="Business demography and financial statements of registered companies",
        description="Births, deaths and survival of enterprises with balance-sheet and "
        "profit-and-loss items from filed annual accounts, by sector and municipality. "
        "Firm-level records are available to financial institutions and researchers under a "
        "data-sharing agreement.",
        publisher=_IEM,
        data_space="finance",
        licence=_COMMERCIAL,
        access_rights=RESTRICTED,
        themes=("ECON",),
        keywords=("business demography", "financial statements", "enterprises", "balance sheet"),
        languages=("en", "es"),
        spatial="Castilla-La Mancha, Spain",
        temporal=("2008-01-01", "2024-12-31"),
        issued="2019-12-02",
        modified="2025-12-01",
        files=(
            DemoFile(
                "business_demography_sample_firms.csv",
                "Sample: twelve firms, from birth to their latest accounts (CSV)",
                "Firm identifiers are pseudonyms; amounts in euros as filed.",
            ),
        ),
    ),
    DemoDataset(
        slug="licitaciones-contratos-publicos",
        title="Licitaciones y adjudicaciones de contratos públicos autonómicos",
        description="Anuncios de licitación, adjudicaciones y formalizaciones de contratos del "
        "sector público autonómico: órgano de contratación, CPV, importe, procedimiento y "
        "adjudicatario. Actualización diaria.",
        publisher=_IEM,
        data_space="public-administration",
        licence="CC0-1.0",
        access_rights=PUBLIC,
        themes=("GOVE", "ECON"),
        keywords=("contratación pública", "licitaciones", "adjudicaciones", "CPV"),
        languages=("es",),
        spatial="Castilla-La Mancha, España",
        temporal=("2016-01-01", "2026-11-27"),
        issued="2016-03-01",
        modified="2026-11-27",
    ),
    # --- Järvimaa University ------------------------------------------------------------------
    DemoDataset(
        slug="jarvimaan-puhekielen-korpus",
        title="Järvimaan puhekielen korpus: litteroidut haastattelut 1970–2020",
        description="Litteroituja murre- ja puhekielihaastatteluja Pohjois-Savosta ja "
        "Kainuusta: 420 tuntia ääntä, sanatason aikaleimat ja morfologinen jäsennys. "
        "Äänitiedostot ja puhujatiedot ovat saatavilla vain tutkimuskäyttöön; litteraatioita "
        "voi hakea Korp-rajapinnan kautta.",
        publisher=_JU,
        data_space="language",
        licence=_RESEARCH_ONLY,
        access_rights=RESTRICTED,
        themes=("EDUC", "TECH"),
        keywords=("puhekieli", "murteet", "korpus", "litterointi", "kielentutkimus"),
        languages=("fi", "en"),
        spatial="Pohjois-Savo ja Kainuu, Suomi",
        temporal=("1970-01-01", "2020-12-31"),
        issued="2021-10-01",
        modified="2024-10-21",
        version="2.1",
        files=(
            DemoFile(
                "README_puhekielen_korpus.txt",
                "README: korpuksen kuvaus / corpus description (TXT)",
            ),
        ),
        services=(
            DemoService(
                "Korp-hakurajapinta / Korp concordance API",
                "https://korp.jarvimaa-university.example/api/v8",
            ),
        ),
    ),
    DemoDataset(
        slug="finnish-lemma-frequency-list",
        title="Frequency list of Finnish lemmas from news and discussion-forum texts",
        description="Lemma frequencies computed from 58 million tokens of Finnish news and "
        "discussion-forum text, with part of speech and frequency per million. The sample "
        "file holds the 100 most frequent lemmas; the full list has 250,000 entries.",
        publisher=_JU,
        data_space="language",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "TECH"),
        keywords=("Finnish", "word frequency", "lemma", "corpus linguistics"),
        languages=("en", "fi"),
        spatial="Finland",
        temporal=("2015-01-01", "2022-12-31"),
        issued="2023-05-08",
        modified="2024-01-29",
        files=(
            DemoFile(
                "suomen_lemmafrekvenssit_top100.csv",
                "Top 100 lemmas with part of speech (CSV)",
            ),
        ),
    ),
    DemoDataset(
        slug="jarvien-jaatilanne-jaanpaksuus",
        title="Järvien jäätilanne ja jäänpaksuus 1950–2024",
        description="Järvien jäätymis- ja jäänlähtöpäivät sekä jäänpaksuus mitattuna "
        "kymmenen päivän välein 34 havaintopaikalla. Pitkä aikasarja ilmastonmuutoksen "
        "vaikutusten tutkimukseen: jääpeitteinen kausi on lyhentynyt keskimäärin kolme "
        "viikkoa.",
        publisher=_JU,
        data_space="green-deal",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ENVI",),
        keywords=("jäänpaksuus", "järvet", "ilmastonmuutos", "jäänlähtö", "havainnot"),
        languages=("fi",),
        spatial="Itä-Suomi",
        temporal=("1950-01-01", "2024-05-31"),
        issued="2018-11-20",
        modified="2024-06-17",
    ),
    DemoDataset(
        slug="boreal-forest-carbon-flux",
        title="Eddy-covariance CO2 and water fluxes over a boreal Scots pine forest",
        description="Half-hourly net ecosystem exchange of CO2, evapotranspiration and energy "
        "fluxes measured on a 35 m tower in a managed boreal pine forest, with meteorology and "
        "soil data. Processed with a standard gap-filling and partitioning pipeline.",
        publisher=_JU,
        data_space="research-eosc",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("ENVI", "TECH"),
        keywords=("eddy covariance", "carbon flux", "boreal forest", "evapotranspiration"),
        languages=("en",),
        spatial="Eastern Finland",
        temporal=("2009-01-01", "2025-12-31"),
        issued="2012-02-01",
        modified="2026-03-02",
        version="2026.1",
        services=(
            DemoService(
                "Flux data portal API",
                "https://fluxdata.jarvimaa-university.example/api/stations/JRV-PINE",
            ),
        ),
    ),
    DemoDataset(
        slug="opiskelijoiden-valmistuminen-tyollistyminen",
        title="Opiskelijoiden valmistuminen ja työllistyminen koulutusaloittain",
        description="Valmistuneiden määrä, opintojen kesto ja työllisyystilanne vuosi "
        "valmistumisen jälkeen koulutusaloittain ja tutkinnoittain. Tiedot on koottu "
        "yliopiston opintorekisteristä ja uraseurantakyselyistä.",
        publisher=_JU,
        data_space="skills",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "SOCI"),
        keywords=("valmistuneet", "työllistyminen", "koulutusala", "uraseuranta"),
        languages=("fi",),
        spatial="Suomi",
        temporal=("2012-01-01", "2025-12-31"),
        issued="2019-09-02",
        modified="2026-02-09",
    ),
    DemoDataset(
        slug="lakewatch-hydrological-model",
        title="Source code and parameter sets of the LAKEWATCH hydrological model",
        description="Source code, calibrated parameter sets and validation runs of a "
        "catchment-scale hydrological model for lake water levels and discharge, released as "
        "open-source research software for reuse in other boreal catchments.",
        publisher=_JU,
        data_space="research-eosc",
        licence="EUPL-1.2",
        access_rights=PUBLIC,
        themes=("TECH", "ENVI"),
        keywords=("research software", "hydrological model", "lake water level", "calibration"),
        languages=("en",),
        spatial="Finland",
        temporal=None,
        issued="2020-08-24",
        modified="2025-10-06",
        version="4.2.0",
    ),
    DemoDataset(
        slug="regional-newspaper-archive-metadata",
        title="Finnish regional newspaper archive metadata, 1990–2015",
        description="Article-level metadata of three regional newspapers: headline, section, "
        "date, length, named entities and topic labels. Full texts stay with the publishers; "
        "the metadata support media and communication research.",
        publisher=_JU,
        data_space="media",
        licence="CC-BY-NC-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "SOCI"),
        keywords=("newspapers", "media research", "news archive", "named entities"),
        languages=("en", "fi"),
        spatial="Finland",
        temporal=("1990-01-01", "2015-12-31"),
        issued="2022-03-14",
        modified="2024-08-26",
    ),
    # --- Nadwiślańskie Archiwum Dziedzictwa Kulturowego ---------------------------------------
    DemoDataset(
        slug="katalog-obiektow-sztuka-ludowa",
        title="Katalog zdigitalizowanych obiektów: rzemiosło i sztuka ludowa",
        description="Metadane ponad 12 000 zdigitalizowanych obiektów z kolekcji "
        "etnograficznej: tkaniny, ceramika, wycinanki, pisanki i rzeźba ludowa z regionów "
        "nadwiślańskich. Rekordy w modelu EDM, z odnośnikami do obrazów IIIF w wysokiej "
        "rozdzielczości; przekazywane także do Europeany.",
        publisher=_ADK,
        data_space="cultural-heritage",
        licence="CC0-1.0",
        access_rights=PUBLIC,
        themes=("EDUC",),
        keywords=("sztuka ludowa", "etnografia", "digitalizacja", "Europeana", "IIIF"),
        languages=("pl", "en"),
        spatial="Polska",
        temporal=("1800-01-01", "1980-12-31"),
        issued="2019-04-18",
        modified="2025-11-05",
        files=(
            DemoFile(
                "katalog_obiektow_probka.json",
                "Próbka 12 rekordów (JSON)",
                "Przykładowe rekordy z polami katalogu i adresem obrazu IIIF.",
            ),
        ),
        services=(
            DemoService(
                "Punkt dostępowy SPARQL (EDM)",
                "https://lod.archiwum-nadwislanskie.example/sparql",
                format="SPARQLQ",
            ),
        ),
    ),
    DemoDataset(
        slug="archival-photographs-vistula-towns",
        title="Archival photographs of Vistula river towns, 1900–1939",
        description="4,300 digitised glass-plate negatives and prints showing market squares, "
        "river ports, crafts and festivals in small towns along the Vistula, with places "
        "linked to GeoNames and people identified where known.",
        publisher=_ADK,
        data_space="cultural-heritage",
        licence="CC-BY-SA-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "REGI"),
        keywords=("photography", "glass-plate negatives", "Vistula", "towns", "interwar"),
        languages=("en", "pl"),
        spatial="Vistula valley, Poland",
        temporal=("1900-01-01", "1939-08-31"),
        issued="2020-11-11",
        modified="2024-04-22",
    ),
    DemoDataset(
        slug="rejestr-zabytkow-nieruchomych",
        title="Rejestr zabytków nieruchomych województwa",
        description="Wpisy do rejestru zabytków nieruchomych: nazwa obiektu, funkcja, "
        "datowanie, numer i data wpisu, adres oraz geometria. Dane pomocnicze dla planowania "
        "przestrzennego i ochrony dziedzictwa.",
        publisher=_ADK,
        data_space="cultural-heritage",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "GOVE", "REGI"),
        keywords=("zabytki", "rejestr", "ochrona dziedzictwa", "architektura"),
        languages=("pl",),
        spatial="Polska",
        temporal=None,
        issued="2018-02-26",
        modified="2026-06-01",
        services=(
            DemoService(
                "API rejestru zabytków (GeoJSON)",
                "https://api.archiwum-nadwislanskie.example/zabytki/v1",
            ),
        ),
    ),
    DemoDataset(
        slug="newsreel-metadata-shot-lists",
        title="Newsreel metadata and shot lists, 1945–1994",
        description="Catalogue records and shot-by-shot descriptions of 6,100 newsreel "
        "episodes: topics, places, people and duration, with links to low-resolution viewing "
        "copies. For media history research and documentary production.",
        publisher=_ADK,
        data_space="media",
        licence="CC-BY-NC-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "SOCI"),
        keywords=("newsreels", "film archive", "audiovisual", "media history"),
        languages=("en", "pl"),
        spatial="Poland",
        temporal=("1945-01-01", "1994-12-31"),
        issued="2021-05-03",
        modified="2025-07-07",
    ),
    DemoDataset(
        slug="ocr-ground-truth-polish-manuscripts",
        title="OCR ground-truth corpus of 19th-century Polish manuscripts and prints",
        description="18,000 line images with manually corrected transcriptions from parish "
        "books, letters and early newspapers, for training handwritten and historical-print "
        "text recognition models.",
        publisher=_ADK,
        data_space="language",
        licence="CC-BY-4.0",
        access_rights=PUBLIC,
        themes=("EDUC", "TECH"),
        keywords=("OCR", "handwritten text recognition", "ground truth", "manuscripts"),
        languages=("en", "pl"),
        spatial="Poland",
        temporal=("1800-01-01", "1899-12-31"),
        issued="2023-09-25",
        modified="2025-02-24",
        version="1.2",
    ),
    DemoDataset(
        slug="provenance-research-displaced-artworks",
        title="Provenance research files on wartime displaced artworks",
        description="Case files of provenance research on 740 works of art displaced between "
        "1939 and 1945: transfers, claims, correspondence and restitution decisions. The files "
        "contain personal data of living heirs and are not public; access for accredited "
        "provenance researchers only.",
        publisher=_ADK,
        data_space="cultural-heritage",
        licence=_RESEARCH_ONLY,
        access_rights=NON_PUBLIC,
        themes=("EDUC", "JUST"),
        keywords=("provenance", "restitution", "looted art", "archives"),
        languages=("en",),
        spatial="Europe",
        temporal=("1939-01-01", "2024-12-31"),
        issued="2024-11-18",
        modified="2025-10-20",
    ),
)


# The questions some publishers ask with every access request (their application forms), as a
# health data-access committee and an agricultural institute would.
APPLICATION_FORMS: dict[str, tuple[str, list[dict]]] = {
    _ZCR: (
        "Data-access committee questions",
        [
            {"key": "ethics-id", "label": "Medical ethics committee approval number",
             "kind": "text", "required": True,
             "help_text": "The METC or IRB reference on your approval letter."},
            {"key": "ethics-letter", "label": "Ethics approval letter", "kind": "attachment",
             "required": True, "help_text": "PDF, up to 20 MB."},
            {"key": "dmp", "label": "Data management plan", "kind": "attachment",
             "required": False},
            {"key": "linkage", "label": "Will you link these data with other sources?",
             "kind": "boolean", "required": True},
            {"key": "start", "label": "Planned start of analysis", "kind": "date",
             "required": False},
        ],
    ),
    _IAFN: (
        "IAFN research questions",
        [
            {"key": "sector", "label": "Your organisation", "kind": "choice", "required": True,
             "choices": ["University", "Public research institute", "Company", "Other"]},
            {"key": "publication", "label": "Where do you plan to publish results?",
             "kind": "long_text", "required": False},
        ],
    ),
}  # fmt: skip
