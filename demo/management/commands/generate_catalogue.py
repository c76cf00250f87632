"""Bulk-create synthetic datasets for benchmarks: ``generate_catalogue --count 100000``.

Titles and descriptions are built from a vocabulary per data space and language (English, French,
German, Dutch, Italian, Spanish), so full-text queries match varied subsets of the catalogue. The
rows are written with ``bulk_create`` in batches, one transaction per batch; on PostgreSQL the
BEFORE INSERT trigger fills ``search_vector`` exactly as for any other write.

This command deliberately bypasses the services (no steward, no per-row validation): it writes
generated, known-valid rows only, at a speed the services cannot reach.
"""

# Typographic en dashes in titles and publisher names are intended.
# ruff: noqa: RUF001

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from catalogue.formats import FORMAT_MEDIA_TYPES
from catalogue.models import (
    AccessRights,
    Dataset,
    DataSpace,
    Distribution,
    Licence,
    Publisher,
    Theme,
)
from catalogue.services import facet_totals_compact

SYNTHETIC_PREFIX = "synthetic-"

# --- vocabulary --------------------------------------------------------------------------------
# Per data space: likely EU themes, then per language "subjects|..." (phrases that name what a
# dataset measures) and "keywords|...". English has more entries: most datasets are in English.

VOCABULARY: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, str]]]] = {
    "agriculture": (("AGRI", "ENVI", "ECON", "TECH"), {
        "en": ("crop yields|soil moisture|livestock census|pesticide sales|irrigation water use|"
               "organic farming area|fertiliser application|milk production",
               "harvest|soil|livestock|crops|farming|fertiliser|irrigation|dairy"),
        "fr": ("rendements des récoltes|humidité des sols|recensement du cheptel|"
               "surfaces en agriculture biologique",
               "récolte|sols|élevage|cultures|agriculture biologique"),
        "de": ("Ernteerträge|Bodenfeuchte|Viehbestand|Pflanzenschutzmittelabsatz",
               "Ernte|Boden|Tierhaltung|Ackerbau|Düngung"),
        "nl": ("oogstopbrengsten|bodemvocht|veestapel|gebruik van gewasbeschermingsmiddelen",
               "oogst|bodem|veehouderij|akkerbouw|bemesting"),
        "it": ("rese dei raccolti|umidità del suolo|censimento del bestiame|superfici biologiche",
               "raccolto|suolo|allevamento|colture|irrigazione"),
        "es": ("rendimientos de las cosechas|humedad del suelo|censo ganadero|"
               "superficie de agricultura ecológica",
               "cosecha|suelo|ganadería|cultivos|regadío"),
    }),
    "health": (("HEAL", "SOCI", "TECH"), {
        "en": ("hospital admissions|waiting times|vaccination coverage|cancer incidence|"
               "antibiotic prescriptions|emergency department visits|mortality by cause|"
               "diabetes prevalence",
               "hospital|patients|vaccination|cancer|antibiotics|mortality|public health|diabetes"),
        "fr": ("admissions hospitalières|délais d'attente|couverture vaccinale|"
               "incidence des cancers",
               "hôpital|patients|vaccination|santé publique|cancer"),
        "de": ("Krankenhausaufnahmen|Wartezeiten|Impfquoten|Krebsneuerkrankungen",
               "Krankenhaus|Patienten|Impfung|Gesundheit|Krebs"),
        "nl": ("ziekenhuisopnames|wachttijden|vaccinatiegraad|kankerincidentie",
               "ziekenhuis|patiënten|vaccinatie|volksgezondheid|kanker"),
        "it": ("ricoveri ospedalieri|tempi di attesa|copertura vaccinale|incidenza dei tumori",
               "ospedale|pazienti|vaccinazione|sanità|tumori"),
        "es": ("ingresos hospitalarios|listas de espera|cobertura de vacunación|"
               "incidencia de cáncer",
               "hospital|pacientes|vacunación|salud pública|cáncer"),
    }),
    "mobility": (("TRAN", "REGI", "ENVI"), {
        "en": ("public transport timetables|road traffic counts|bike-sharing trips|"
               "parking occupancy|railway punctuality|road accidents|freight flows|"
               "electric vehicle charging points",
               "transport|traffic|bus|cycling|parking|railway|logistics|charging"),
        "fr": ("horaires des transports en commun|comptages routiers|trajets en vélo partagé|"
               "occupation des parkings",
               "transports|trafic|vélo|stationnement|mobilité"),
        "de": ("Fahrpläne des Nahverkehrs|Verkehrszählungen|Fahrten mit Leihrädern|"
               "Parkhausbelegung",
               "Verkehr|Nahverkehr|Fahrrad|Parken|Mobilität"),
        "nl": ("dienstregelingen openbaar vervoer|verkeerstellingen|ritten met deelfietsen|"
               "bezetting van parkeergarages",
               "verkeer|openbaar vervoer|fiets|parkeren|mobiliteit"),
        "it": ("orari del trasporto pubblico|conteggi del traffico|viaggi in bike sharing|"
               "occupazione dei parcheggi",
               "trasporti|traffico|bicicletta|parcheggi|mobilità"),
        "es": ("horarios del transporte público|aforos de tráfico|viajes en bicicleta compartida|"
               "ocupación de aparcamientos",
               "transporte|tráfico|bicicleta|aparcamiento|movilidad"),
    }),
    "energy": (("ENER", "ENVI", "ECON"), {
        "en": ("electricity consumption|grid load|solar power generation|wind power output|"
               "gas storage levels|heat pump installations|power outages|energy prices",
               "electricity|grid|solar|wind|gas|heat pumps|outages|renewables"),
        "fr": ("consommation d'électricité|charge du réseau|production photovoltaïque|"
               "production éolienne",
               "électricité|réseau|solaire|éolien|énergies renouvelables"),
        "de": ("Stromverbrauch|Netzlast|Photovoltaik-Erzeugung|Windstromerzeugung",
               "Strom|Stromnetz|Solarenergie|Windenergie|erneuerbare Energien"),
        "nl": ("elektriciteitsverbruik|netbelasting|zonnestroomproductie|windstroomproductie",
               "elektriciteit|stroomnet|zonne-energie|windenergie|duurzame energie"),
        "it": ("consumi elettrici|carico della rete|produzione fotovoltaica|produzione eolica",
               "elettricità|rete elettrica|fotovoltaico|eolico|rinnovabili"),
        "es": ("consumo eléctrico|demanda de la red|generación fotovoltaica|generación eólica",
               "electricidad|red eléctrica|solar|eólica|renovables"),
    }),
    "green-deal": (("ENVI", "ENER", "AGRI"), {
        "en": ("air quality measurements|greenhouse gas emissions|river water quality|"
               "biodiversity observations|waste recycling rates|land cover change|"
               "flood risk areas|noise levels",
               "air quality|emissions|climate|biodiversity|recycling|water quality|floods|noise"),
        "fr": ("mesures de la qualité de l'air|émissions de gaz à effet de serre|"
               "qualité des cours d'eau|observations de la biodiversité",
               "qualité de l'air|émissions|climat|biodiversité|recyclage"),
        "de": ("Luftqualitätsmessungen|Treibhausgasemissionen|Gewässergüte|Artenvielfalt",
               "Luftqualität|Emissionen|Klima|Biodiversität|Recycling"),
        "nl": ("luchtkwaliteitsmetingen|broeikasgasemissies|waterkwaliteit van rivieren|"
               "waarnemingen van biodiversiteit",
               "luchtkwaliteit|uitstoot|klimaat|biodiversiteit|recycling"),
        "it": ("misure della qualità dell'aria|emissioni di gas serra|qualità delle acque fluviali|"
               "osservazioni sulla biodiversità",
               "qualità dell'aria|emissioni|clima|biodiversità|riciclo"),
        "es": ("mediciones de calidad del aire|emisiones de gases de efecto invernadero|"
               "calidad del agua de los ríos|observaciones de biodiversidad",
               "calidad del aire|emisiones|clima|biodiversidad|reciclaje"),
    }),
    "industrial-manufacturing": (("TECH", "ECON", "ENER"), {
        "en": ("machine sensor telemetry|production line throughput|predictive maintenance logs|"
               "supply chain lead times|industrial energy use|quality inspection images|"
               "spare parts inventory|robot cell downtime",
               "manufacturing|sensors|maintenance|supply chain|quality control|industry 4.0|"
               "robotics|inventory"),
        "fr": ("télémétrie des machines|cadence des lignes de production|"
               "journaux de maintenance prédictive|délais de la chaîne d'approvisionnement",
               "industrie|capteurs|maintenance|chaîne d'approvisionnement|qualité"),
        "de": ("Maschinentelemetrie|Durchsatz der Fertigungslinien|"
               "Protokolle der vorausschauenden Wartung|Lieferzeiten in der Lieferkette",
               "Fertigung|Sensoren|Wartung|Lieferkette|Industrie 4.0"),
        "nl": ("machinetelemetrie|doorvoer van productielijnen|logboeken voorspellend onderhoud|"
               "levertijden in de toeleveringsketen",
               "maakindustrie|sensoren|onderhoud|toeleveringsketen|kwaliteit"),
        "it": ("telemetria dei macchinari|produttività delle linee|"
               "registri di manutenzione predittiva|tempi della catena di fornitura",
               "manifattura|sensori|manutenzione|catena di fornitura|qualità"),
        "es": ("telemetría de máquinas|rendimiento de las líneas de producción|"
               "registros de mantenimiento predictivo|plazos de la cadena de suministro",
               "fabricación|sensores|mantenimiento|cadena de suministro|calidad"),
    }),
    "finance": (("ECON", "GOVE"), {
        "en": ("bank lending rates|municipal budgets|public debt|company financial statements|"
               "green bond issuance|payment transactions|insurance claims|house prices",
               "finance|budget|debt|banking|green bonds|payments|insurance|housing"),
        "fr": ("taux des crédits bancaires|budgets communaux|dette publique|"
               "comptes des entreprises",
               "finances|budget|dette|banques|obligations vertes"),
        "de": ("Kreditzinsen der Banken|Gemeindehaushalte|öffentliche Verschuldung|"
               "Jahresabschlüsse von Unternehmen",
               "Finanzen|Haushalt|Schulden|Banken|grüne Anleihen"),
        "nl": ("rentetarieven van banken|gemeentebegrotingen|staatsschuld|"
               "jaarrekeningen van bedrijven",
               "financiën|begroting|schuld|banken|groene obligaties"),
        "it": ("tassi sui prestiti bancari|bilanci comunali|debito pubblico|bilanci delle imprese",
               "finanza|bilancio|debito|banche|obbligazioni verdi"),
        "es": ("tipos de interés de los préstamos|presupuestos municipales|deuda pública|"
               "cuentas anuales de empresas",
               "finanzas|presupuesto|deuda|banca|bonos verdes"),
    }),
    "public-administration": (("GOVE", "JUST", "SOCI"), {
        "en": ("public procurement contracts|population register|court decisions|"
               "building permits|council meeting minutes|tax revenues|election results|"
               "public service requests",
               "procurement|population|courts|permits|elections|taxes|municipalities|"
               "open government"),
        "fr": ("marchés publics|registre de la population|décisions de justice|"
               "permis de construire",
               "commande publique|population|justice|urbanisme|élections"),
        "de": ("öffentliche Aufträge|Melderegister|Gerichtsentscheidungen|Baugenehmigungen",
               "Vergabe|Bevölkerung|Justiz|Bauen|Wahlen"),
        "nl": ("overheidsopdrachten|bevolkingsregister|rechterlijke uitspraken|"
               "omgevingsvergunningen",
               "aanbestedingen|bevolking|rechtspraak|vergunningen|verkiezingen"),
        "it": ("appalti pubblici|anagrafe della popolazione|sentenze dei tribunali|"
               "permessi di costruire",
               "appalti|popolazione|giustizia|edilizia|elezioni"),
        "es": ("contratos públicos|padrón de habitantes|resoluciones judiciales|licencias de obra",
               "contratación|población|justicia|urbanismo|elecciones"),
    }),
    "skills": (("EDUC", "SOCI", "ECON"), {
        "en": ("graduate employment outcomes|vocational training enrolments|job vacancies|"
               "digital skills survey|apprenticeship contracts|adult learning participation|"
               "school attainment|labour force survey",
               "education|training|employment|vacancies|digital skills|apprenticeships|"
               "schools|labour market"),
        "fr": ("insertion professionnelle des diplômés|inscriptions en formation professionnelle|"
               "offres d'emploi|compétences numériques",
               "éducation|formation|emploi|compétences|apprentissage"),
        "de": ("Berufseinstieg von Absolventen|Ausbildungsverträge|offene Stellen|"
               "digitale Kompetenzen",
               "Bildung|Ausbildung|Beschäftigung|Arbeitsmarkt|Kompetenzen"),
        "nl": ("arbeidsmarktpositie van afgestudeerden|inschrijvingen in het mbo|vacatures|"
               "digitale vaardigheden",
               "onderwijs|opleiding|werkgelegenheid|arbeidsmarkt|vaardigheden"),
        "it": ("esiti occupazionali dei laureati|iscrizioni alla formazione professionale|"
               "posti vacanti|competenze digitali",
               "istruzione|formazione|occupazione|mercato del lavoro|competenze"),
        "es": ("inserción laboral de los titulados|matrícula en formación profesional|"
               "vacantes de empleo|competencias digitales",
               "educación|formación|empleo|mercado laboral|competencias"),
    }),
    "media": (("EDUC", "SOCI", "TECH"), {
        "en": ("news article metadata|television audience ratings|radio broadcast logs|"
               "podcast listening statistics|fact-checking claims|film production records|"
               "newspaper circulation|social media engagement",
               "news|television|radio|podcasts|journalism|film|newspapers|audiences"),
        "fr": ("métadonnées d'articles de presse|audiences télévisuelles|"
               "journaux de diffusion radio|diffusion de la presse écrite",
               "presse|télévision|radio|journalisme|audiences"),
        "de": ("Metadaten von Nachrichtenartikeln|Fernsehquoten|Sendeprotokolle des Hörfunks|"
               "Zeitungsauflagen",
               "Nachrichten|Fernsehen|Radio|Journalismus|Publikum"),
        "nl": ("metadata van nieuwsartikelen|kijkcijfers|uitzendlogboeken van de radio|"
               "oplagecijfers van kranten",
               "nieuws|televisie|radio|journalistiek|publiek"),
        "it": ("metadati degli articoli di giornale|ascolti televisivi|registri delle trasmissioni "
               "radio|diffusione dei quotidiani",
               "notizie|televisione|radio|giornalismo|pubblico"),
        "es": ("metadatos de noticias|audiencias de televisión|registros de emisión de radio|"
               "difusión de la prensa",
               "noticias|televisión|radio|periodismo|audiencias"),
    }),
    "cultural-heritage": (("EDUC", "REGI"), {
        "en": ("digitised museum objects|archival photographs|historic building register|"
               "manuscript collections|archaeological finds|library catalogue records|"
               "folk music recordings|historic maps",
               "museum|archives|heritage|manuscripts|archaeology|library|folk music|maps"),
        "fr": ("objets de musée numérisés|photographies d'archives|inventaire des monuments "
               "historiques|fonds de manuscrits",
               "musée|archives|patrimoine|manuscrits|monuments"),
        "de": ("digitalisierte Museumsobjekte|historische Fotografien|Denkmalliste|"
               "Handschriftenbestände",
               "Museum|Archiv|Kulturerbe|Handschriften|Denkmalpflege"),
        "nl": ("gedigitaliseerde museumobjecten|archieffoto's|monumentenregister|"
               "handschriftencollecties",
               "museum|archief|erfgoed|handschriften|monumenten"),
        "it": ("oggetti museali digitalizzati|fotografie d'archivio|"
               "catalogo dei beni architettonici|fondi di manoscritti",
               "museo|archivio|patrimonio culturale|manoscritti|monumenti"),
        "es": ("objetos de museo digitalizados|fotografías de archivo|inventario de monumentos|"
               "colecciones de manuscritos",
               "museo|archivo|patrimonio|manuscritos|monumentos"),
    }),
    "tourism": (("ECON", "REGI", "TRAN"), {
        "en": ("hotel overnight stays|visitor flows|short-term rental listings|"
               "tourist attraction admissions|cruise passenger arrivals|campsite occupancy|"
               "visitor spending|events calendar",
               "tourism|hotels|visitors|short-term rentals|attractions|cruises|camping|events"),
        "fr": ("nuitées hôtelières|flux de visiteurs|locations meublées de tourisme|"
               "fréquentation des sites touristiques",
               "tourisme|hôtels|visiteurs|hébergement|fréquentation"),
        "de": ("Hotelübernachtungen|Besucherströme|Ferienwohnungsangebote|"
               "Besucherzahlen der Sehenswürdigkeiten",
               "Tourismus|Hotels|Besucher|Übernachtungen|Sehenswürdigkeiten"),
        "nl": ("hotelovernachtingen|bezoekersstromen|aanbod van vakantieverhuur|"
               "bezoekersaantallen van attracties",
               "toerisme|hotels|bezoekers|overnachtingen|attracties"),
        "it": ("presenze alberghiere|flussi di visitatori|affitti brevi|ingressi alle attrazioni "
               "turistiche",
               "turismo|alberghi|visitatori|presenze|attrazioni"),
        "es": ("pernoctaciones hoteleras|flujos de visitantes|viviendas de uso turístico|"
               "visitas a monumentos",
               "turismo|hoteles|visitantes|pernoctaciones|alojamiento"),
    }),
    "language": (("EDUC", "TECH"), {
        "en": ("speech recordings|parallel translation corpus|annotated text corpus|"
               "terminology database|dialect interviews|word frequency lists|"
               "named entity annotations|sign language videos",
               "corpus|speech|translation|terminology|dialects|lexicon|annotation|"
               "language technology"),
        "fr": ("enregistrements de parole|corpus parallèle de traductions|corpus annoté|"
               "base terminologique",
               "corpus|parole|traduction|terminologie|lexique"),
        "de": ("Sprachaufnahmen|paralleles Übersetzungskorpus|annotiertes Textkorpus|"
               "Terminologiedatenbank",
               "Korpus|Sprache|Übersetzung|Terminologie|Wortschatz"),
        "nl": ("spraakopnamen|parallel vertaalcorpus|geannoteerd tekstcorpus|terminologiebank",
               "corpus|spraak|vertaling|terminologie|woordenboek"),
        "it": ("registrazioni del parlato|corpus parallelo di traduzioni|corpus annotato|"
               "banca dati terminologica",
               "corpus|parlato|traduzione|terminologia|lessico"),
        "es": ("grabaciones de habla|corpus paralelo de traducciones|corpus anotado|"
               "base de datos terminológica",
               "corpus|habla|traducción|terminología|léxico"),
    }),
    "research-eosc": (("TECH", "ENVI", "HEAL"), {
        "en": ("genome sequencing data|climate model simulations|ocean temperature profiles|"
               "particle physics event data|ecosystem carbon fluxes|clinical trial results|"
               "satellite imagery time series|research software releases",
               "genomics|climate models|oceanography|physics|carbon|clinical trials|"
               "remote sensing|open science"),
        "fr": ("données de séquençage du génome|simulations de modèles climatiques|"
               "profils de température océanique|flux de carbone des écosystèmes",
               "génomique|climat|océanographie|science ouverte|recherche"),
        "de": ("Genomsequenzierungsdaten|Klimamodellsimulationen|Temperaturprofile der Ozeane|"
               "Kohlenstoffflüsse von Ökosystemen",
               "Genomik|Klimamodelle|Ozeanographie|Open Science|Forschung"),
        "nl": ("genoomsequentiegegevens|klimaatmodelsimulaties|temperatuurprofielen van de oceaan|"
               "koolstofstromen van ecosystemen",
               "genomica|klimaatmodellen|oceanografie|open wetenschap|onderzoek"),
        "it": ("dati di sequenziamento genomico|simulazioni di modelli climatici|"
               "profili di temperatura oceanica|flussi di carbonio degli ecosistemi",
               "genomica|modelli climatici|oceanografia|scienza aperta|ricerca"),
        "es": ("datos de secuenciación genómica|simulaciones de modelos climáticos|"
               "perfiles de temperatura oceánica|flujos de carbono de los ecosistemas",
               "genómica|modelos climáticos|oceanografía|ciencia abierta|investigación"),
    }),
}  # fmt: skip

# Title shapes, and the parts descriptions are made of, per language.
TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "qualifiers": ("by region", "by municipality", "monthly statistics", "annual survey",
                       "time series", "sensor readings", "register extract", "quarterly report"),
        "titles": ("{S} {q}, {place} {y1}-{y2}", "{S} in {place}: {q}, {y1}-{y2}",
                   "{S} ({place}, {y1}-{y2})"),
        "descriptions": (
            "{S} for {place} between {y1} and {y2}, published by {publisher}. The dataset also "
            "covers {s2} and {s3}, {freq}. {method}",
            "This dataset brings together {s1} and {s2} in {place} from {y1} to {y2}. {method} "
            "Figures are {freq}; related indicators on {s3} are included.",
        ),
        "freq": ("updated monthly", "updated every year", "updated quarterly", "updated daily"),
        "method": ("Values are validated and aggregated so that no individual can be identified.",
                   "Collected from administrative registers and a sample survey.",
                   "Measured by automatic stations and quality-checked before release.",
                   "Classifications are harmonised with Eurostat standards."),
    },
    "fr": {
        "qualifiers": ("par région", "par commune", "statistiques mensuelles", "enquête annuelle",
                       "séries chronologiques", "relevés de capteurs", "extrait du registre",
                       "bilan trimestriel"),
        "titles": ("{S} {q} – {place}, {y1}-{y2}", "{S} : {q}, {place} {y1}-{y2}"),
        "descriptions": (
            "{S} pour le territoire {place} entre {y1} et {y2} ; données publiées par "
            "{publisher}. Le jeu de données couvre aussi {s2} et {s3}, {freq}. {method}",
            "Ce jeu de données rassemble {s1} et {s2} de {y1} à {y2} ({place}). {method} Les "
            "chiffres sont {freq} ; des indicateurs sur {s3} sont inclus.",
        ),
        "freq": ("mis à jour chaque mois", "mis à jour chaque année", "mis à jour chaque trimestre",
                 "mis à jour chaque jour"),
        "method": ("Les valeurs sont validées et agrégées pour qu'aucune personne ne soit "
                   "identifiable.",
                   "Données issues de registres administratifs et d'une enquête par sondage.",
                   "Mesures de stations automatiques, contrôlées avant publication.",
                   "Les nomenclatures sont harmonisées avec celles d'Eurostat."),
    },
    "de": {
        "qualifiers": ("nach Regionen", "nach Gemeinden", "Monatsstatistik", "jährliche Erhebung",
                       "Zeitreihen", "Sensormesswerte", "Registerauszug", "Quartalsbericht"),
        "titles": ("{S}: {q}, {place} {y1}-{y2}", "{S} in {place} ({q}, {y1}-{y2})"),
        "descriptions": (
            "{S} für {place} von {y1} bis {y2}, veröffentlicht von {publisher}. Der Datensatz "
            "umfasst auch {s2} und {s3}, {freq}. {method}",
            "Dieser Datensatz führt {s1} und {s2} in {place} von {y1} bis {y2} zusammen. "
            "{method} Die Angaben werden {freq}; Kennzahlen zu {s3} sind enthalten.",
        ),
        "freq": ("monatlich aktualisiert", "jährlich aktualisiert", "vierteljährlich aktualisiert",
                 "täglich aktualisiert"),
        "method": ("Die Werte sind geprüft und so aggregiert, dass keine Person erkennbar ist.",
                   "Grundlage sind Verwaltungsregister und eine Stichprobenerhebung.",
                   "Gemessen an automatischen Stationen und vor der Freigabe geprüft.",
                   "Die Klassifikationen folgen den Eurostat-Standards."),
    },
    "nl": {
        "qualifiers": ("per regio", "per gemeente", "maandstatistiek", "jaarlijkse enquête",
                       "tijdreeksen", "sensormetingen", "registeruittreksel", "kwartaalrapport"),
        "titles": ("{S} {q}, {place} {y1}-{y2}", "{S} in {place}: {q} {y1}-{y2}"),
        "descriptions": (
            "{S} voor {place} tussen {y1} en {y2}, gepubliceerd door {publisher}. De dataset "
            "bevat ook {s2} en {s3}, {freq}. {method}",
            "Deze dataset brengt {s1} en {s2} in {place} van {y1} tot {y2} samen. {method} De "
            "cijfers worden {freq}; indicatoren over {s3} zijn opgenomen.",
        ),
        "freq": ("maandelijks bijgewerkt", "jaarlijks bijgewerkt", "per kwartaal bijgewerkt",
                 "dagelijks bijgewerkt"),
        "method": ("De waarden zijn gecontroleerd en zo geaggregeerd dat niemand herkenbaar is.",
                   "Afkomstig uit administratieve registers en een steekproefonderzoek.",
                   "Gemeten door automatische meetstations en vóór publicatie gecontroleerd.",
                   "De classificaties zijn afgestemd op die van Eurostat."),
    },
    "it": {
        "qualifiers": ("per regione", "per comune", "statistiche mensili", "indagine annuale",
                       "serie storiche", "misure dei sensori", "estratto del registro",
                       "rapporto trimestrale"),
        "titles": ("{S} {q} – {place}, {y1}-{y2}", "{S}: {q}, {place} {y1}-{y2}"),
        "descriptions": (
            "{S} per il territorio {place} tra il {y1} e il {y2}; dati pubblicati da "
            "{publisher}. Il dataset comprende anche {s2} e {s3}, {freq}. {method}",
            "Questo dataset riunisce {s1} e {s2} dal {y1} al {y2} ({place}). {method} I dati "
            "sono {freq}; sono inclusi indicatori su {s3}.",
        ),
        "freq": ("aggiornati ogni mese", "aggiornati ogni anno", "aggiornati ogni trimestre",
                 "aggiornati ogni giorno"),
        "method": ("I valori sono validati e aggregati in modo che nessuno sia identificabile.",
                   "Dati provenienti da registri amministrativi e da un'indagine campionaria.",
                   "Misurati da stazioni automatiche e controllati prima della pubblicazione.",
                   "Le classificazioni sono armonizzate con gli standard Eurostat."),
    },
    "es": {
        "qualifiers": ("por región", "por municipio", "estadística mensual", "encuesta anual",
                       "series temporales", "lecturas de sensores", "extracto del registro",
                       "informe trimestral"),
        "titles": ("{S} {q} – {place}, {y1}-{y2}", "{S}: {q}, {place} {y1}-{y2}"),
        "descriptions": (
            "{S} en {place} entre {y1} y {y2}; datos publicados por {publisher}. El conjunto "
            "de datos incluye también {s2} y {s3}, {freq}. {method}",
            "Este conjunto de datos reúne {s1} y {s2} de {y1} a {y2} ({place}). {method} Las "
            "cifras se publican {freq}; se incluyen indicadores sobre {s3}.",
        ),
        "freq": ("con actualización mensual", "con actualización anual",
                 "con actualización trimestral", "con actualización diaria"),
        "method": ("Los valores están validados y agregados para que nadie sea identificable.",
                   "Procede de registros administrativos y de una encuesta por muestreo.",
                   "Medido por estaciones automáticas y revisado antes de su publicación.",
                   "Las clasificaciones están armonizadas con las de Eurostat."),
    },
}  # fmt: skip

# --- synthetic publishers ----------------------------------------------------------------------

REGIONS: tuple[tuple[str, str, str], ...] = (
    ("DE", "de", "Bayern"), ("DE", "de", "Sachsen"), ("DE", "de", "Hessen"),
    ("AT", "de", "Tirol"), ("FR", "fr", "Bretagne"), ("FR", "fr", "Occitanie"),
    ("FR", "fr", "Normandie"), ("BE", "fr", "Wallonie"), ("BE", "nl", "Vlaanderen"),
    ("NL", "nl", "Gelderland"), ("NL", "nl", "Friesland"), ("IT", "it", "Piemonte"),
    ("IT", "it", "Toscana"), ("IT", "it", "Puglia"), ("ES", "es", "Andalucía"),
    ("ES", "es", "Galicia"), ("ES", "es", "Aragón"), ("IE", "en", "Munster"),
    ("FI", "en", "Lapland"), ("SE", "en", "Skåne"), ("DK", "en", "Jutland"),
    ("PL", "en", "Silesia"), ("PT", "en", "Alentejo"), ("CZ", "en", "Moravia"),
    ("EE", "en", "Tartu"),
)  # fmt: skip

# Kind of organisation -> its name in each language, and the data spaces it mostly publishes in.
ORGANISATIONS: tuple[tuple[dict[str, str], tuple[str, ...]], ...] = (
    ({"en": "{r} Statistics Office", "fr": "Office statistique régional – {r}",
      "de": "Statistikamt {r}", "nl": "Bureau voor de Statistiek {r}",
      "it": "Ufficio statistico regionale – {r}", "es": "Instituto de Estadística – {r}"},
     ("public-administration", "skills", "finance", "tourism")),
    ({"en": "{r} Institute for Environmental Research",
      "fr": "Institut de recherche agronomique et environnementale – {r}",
      "de": "Forschungsinstitut für Umwelt und Landwirtschaft {r}",
      "nl": "Kennisinstituut Landbouw en Milieu {r}",
      "it": "Istituto di ricerca ambientale – {r}",
      "es": "Centro de Investigación Agroambiental – {r}"},
     ("agriculture", "green-deal", "research-eosc", "industrial-manufacturing")),
    ({"en": "{r} Transport Authority", "fr": "Syndicat des mobilités – {r}",
      "de": "Verkehrsverbund {r}", "nl": "Vervoerregio {r}",
      "it": "Agenzia per la mobilità – {r}", "es": "Consorcio de Transportes – {r}"},
     ("mobility", "tourism", "public-administration")),
    ({"en": "{r} Energy Networks", "fr": "Régie énergétique – {r}", "de": "Energienetze {r}",
      "nl": "Netbeheer {r}", "it": "Reti energetiche – {r}", "es": "Redes Energéticas – {r}"},
     ("energy", "green-deal", "industrial-manufacturing", "finance")),
    ({"en": "{r} University Hospitals", "fr": "Centre hospitalier universitaire – {r}",
      "de": "Klinikverbund {r}", "nl": "Ziekenhuisgroep {r}",
      "it": "Azienda ospedaliera universitaria – {r}", "es": "Hospital Universitario – {r}"},
     ("health", "research-eosc")),
    ({"en": "{r} Heritage Archive", "fr": "Archives et patrimoine – {r}",
      "de": "Kulturerbe-Archiv {r}", "nl": "Erfgoedcentrum {r}",
      "it": "Archivio del patrimonio culturale – {r}",
      "es": "Archivo del Patrimonio Cultural – {r}"},
     ("cultural-heritage", "media", "language")),
)  # fmt: skip

COUNTRY_NAMES = {
    "DE": "Germany", "AT": "Austria", "FR": "France", "BE": "Belgium", "NL": "Netherlands",
    "IT": "Italy", "ES": "Spain", "IE": "Ireland", "FI": "Finland", "SE": "Sweden",
    "DK": "Denmark", "PL": "Poland", "PT": "Portugal", "CZ": "Czechia", "EE": "Estonia",
}  # fmt: skip

PUBLISHER_COUNT = 50

# Distribution formats, with relative weights; API means a service endpoint, not a file.
FORMATS = (
    ("CSV", 30), ("JSON", 14), ("PARQUET", 8), ("GEOJSON", 7), ("NETCDF", 4), ("API", 12),
    ("XLSX", 7), ("RDF_TURTLE", 3), ("ZIP", 5), ("PDF", 4), ("XML", 4), ("SHP", 2),
)  # fmt: skip
FORMAT_TITLES = {
    "CSV": "Data table", "JSON": "JSON export", "PARQUET": "Columnar extract",
    "GEOJSON": "Geometries", "NETCDF": "Gridded data", "API": "REST API",
    "XLSX": "Spreadsheet", "RDF_TURTLE": "Linked data dump", "ZIP": "Full archive",
    "PDF": "Methodology report", "XML": "XML export", "SHP": "Shapefile",
}  # fmt: skip

FORMAT_CODES = [code for code, _ in FORMATS]
FORMAT_WEIGHTS = [weight for _, weight in FORMATS]

SECONDS_IN_FIVE_YEARS = 5 * 365 * 24 * 3600
ThemeLink = Dataset.themes.through


@dataclass(frozen=True)
class SyntheticPublisher:
    pk: int
    slug: str
    name: str
    country: str
    language: str
    region: str
    data_spaces: tuple[str, ...]


def synthetic_publisher_specs() -> list[dict[str, Any]]:
    """The same ~50 publishers on every run, so that a second run reuses them."""
    specs = []
    for i in range(PUBLISHER_COUNT):
        country, language, region = REGIONS[i % len(REGIONS)]
        names, spaces = ORGANISATIONS[(i + (i // len(REGIONS)) * 4) % len(ORGANISATIONS)]
        name = names[language].format(r=region)
        slug = SYNTHETIC_PREFIX + slugify(name)[:80]
        specs.append(
            {
                "slug": slug,
                "name": name,
                "country": country,
                "language": language,
                "region": region,
                "data_spaces": spaces,
                "homepage": f"https://{slug}.example",
                "email": f"data@{slug}.example",
            }
        )
    return specs


class Command(BaseCommand):
    help = (
        "Bulk-create N synthetic, varied datasets (with themes, keywords and distributions) for "
        "benchmarks. Publishers are created with the slug prefix 'synthetic-' if missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="Datasets to create.")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Datasets per transaction (2000)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="Writer processes, each with its own connection (PostgreSQL only; default: "
            "the number of CPUs, at most 4). While one writer's batch is in the database's "
            "hands, another builds the next.",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with production settings (it writes synthetic data).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count, batch_size = options["count"], options["batch_size"]
        if count < 1 or batch_size < 1 or options["workers"] < 1:
            raise CommandError("--count, --batch-size and --workers must be at least 1.")
        if (
            not options["allow_production"]
            and not settings.DEBUG
            and (settings.SETTINGS_MODULE or "").endswith("production")
        ):
            raise CommandError(
                "generate_catalogue writes synthetic datasets; with production settings it needs "
                "--allow-production."
            )
        self.seed = options["seed"]
        self.now = timezone.now()
        self._load_references()
        workers = options["workers"]
        if (
            connection.vendor != "postgresql"
            or connection.in_atomic_block
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            # SQLite has a single writer; other connections could not see the rows of a
            # transaction the caller holds open (tests do); and the writers are forked.
            workers = 1

        batches = [
            (index, min(batch_size, count - start))
            for index, start in enumerate(range(0, count, batch_size))
        ]
        totals = dict.fromkeys(("datasets", "distributions", "themes"), 0)
        started = time.perf_counter()
        with tqdm(
            total=count, unit="datasets", file=sys.stderr, dynamic_ncols=True, mininterval=0.5
        ) as bar:
            for written in self._write_all(batches, workers=workers):
                for key in totals:
                    totals[key] += written[key]
                bar.update(written["datasets"])
        elapsed = time.perf_counter() - started
        # Each batch's statements left their own delta rows; the landing page reads fewer.
        facet_totals_compact()

        self.stdout.write(
            self.style.SUCCESS(f"Created {totals['datasets']:,} datasets")
            + f" with {totals['distributions']:,} distributions and {totals['themes']:,} theme "
            f"links in {elapsed:.1f} s ({totals['datasets'] / elapsed:,.0f} datasets/s, "
            f"{workers} writer{'s' if workers > 1 else ''}); "
            f"{self.publishers_created} synthetic publishers created."
        )

    def _write_all(self, batches: list[tuple[int, int]], *, workers: int) -> Iterator[dict]:
        if workers == 1:
            for index, size in batches:
                yield self._write_batch(index, size)
            return
        # A forked child must not share the parent's database connection: close it here; each
        # child opens its own. The children inherit this command (references, publishers).
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_set_child_command, initargs=(self,)) as pool:
            yield from pool.imap_unordered(_write_batch_in_child, batches)

    def _write_batch(self, index: int, size: int) -> dict[str, int]:
        """Build and insert one batch in one transaction. Each batch has its own random
        generator, so the content depends only on --seed, whatever the number of writers."""
        batch = self._build_batch(random.Random(f"{self.seed}-{index}"), size)
        with transaction.atomic():
            # Links and files before their datasets (foreign keys are checked at commit): each
            # dataset row is then written once, with its facet copies (catalogue 0015).
            ThemeLink.objects.bulk_create(batch["themes"])
            Distribution.objects.bulk_create(batch["distributions"])
            Dataset.objects.bulk_create(batch["datasets"])
        return {key: len(rows) for key, rows in batch.items()}

    # --- set-up -----------------------------------------------------------------------------------

    def _load_references(self) -> None:
        spaces = {space.slug: space for space in DataSpace.objects.all()}
        missing = set(VOCABULARY) - set(spaces)
        if missing:
            raise CommandError(
                f"Data spaces missing ({', '.join(sorted(missing))}): run `manage.py migrate`."
            )
        self.spaces = spaces
        self.space_slugs = sorted(VOCABULARY)
        self.themes = {theme.code: theme.pk for theme in Theme.objects.all()}
        licences = list(Licence.objects.order_by("identifier"))
        if not licences:
            raise CommandError("No licences: run `manage.py migrate`.")
        self.open_licences = [lic for lic in licences if lic.is_open] or licences
        self.closed_licences = [lic for lic in licences if not lic.is_open] or licences
        self.publishers = self._ensure_publishers()

    def _ensure_publishers(self) -> list[SyntheticPublisher]:
        specs = synthetic_publisher_specs()
        existing = set(
            Publisher.objects.filter(slug__in=[s["slug"] for s in specs]).values_list(
                "slug", flat=True
            )
        )
        fields = ("slug", "name", "country", "homepage", "email")
        new = [
            Publisher(
                **{f: s[f] for f in fields},
                description="Synthetic publisher generated for benchmarks (generate_catalogue).",
            )
            for s in specs
            if s["slug"] not in existing
        ]
        Publisher.objects.bulk_create(new, ignore_conflicts=True)
        self.publishers_created = len(new)
        pks = dict(
            Publisher.objects.filter(slug__in=[s["slug"] for s in specs]).values_list("slug", "pk")
        )
        return [
            SyntheticPublisher(
                pk=pks[s["slug"]],
                slug=s["slug"],
                name=s["name"],
                country=s["country"],
                language=s["language"],
                region=s["region"],
                data_spaces=s["data_spaces"],
            )
            for s in specs
        ]

    # --- generation -------------------------------------------------------------------------------

    def _build_batch(self, rng: random.Random, size: int) -> dict[str, list]:
        datasets: list[Dataset] = []
        theme_links: list[Any] = []
        distributions: list[Distribution] = []
        for _ in range(size):
            dataset, theme_codes, formats = self._dataset(rng)
            datasets.append(dataset)
            theme_links.extend(
                ThemeLink(dataset_id=dataset.pk, theme_id=self.themes[code])
                for code in theme_codes
                if code in self.themes
            )
            distributions.extend(self._distribution(rng, dataset, fmt) for fmt in formats)
        return {"datasets": datasets, "themes": theme_links, "distributions": distributions}

    def _dataset(self, rng: random.Random) -> tuple[Dataset, list[str], list[str]]:
        publisher = rng.choice(self.publishers)
        space_slug = (
            rng.choice(publisher.data_spaces)
            if rng.random() < 0.7
            else rng.choice(self.space_slugs)
        )
        space_themes, words = VOCABULARY[space_slug]

        # Mostly English; otherwise the publisher's language (or any of the five others).
        if publisher.language != "en" and rng.random() < 0.45:
            language = publisher.language
        elif rng.random() < 0.08:
            language = rng.choice(("fr", "de", "nl", "it", "es"))
        else:
            language = "en"
        languages = [language]
        if language != "en" and rng.random() < 0.4:
            languages.append("en")
        elif language == "en" and publisher.language != "en" and rng.random() < 0.25:
            languages.append(publisher.language)

        subjects_raw, keywords_raw = words[language]
        subjects = rng.sample(subjects_raw.split("|"), 3)
        text = TEXT[language]
        this_year = self.now.year
        start_year = rng.randint(1995, this_year - 3)
        end_year = min(this_year, start_year + rng.randint(0, 12))
        slots = {
            "S": subjects[0][0].upper() + subjects[0][1:],
            "s1": subjects[0],
            "s2": subjects[1],
            "s3": subjects[2],
            "q": rng.choice(text["qualifiers"]),
            "place": publisher.region,
            "y1": start_year,
            "y2": end_year,
            "publisher": publisher.name,
            "freq": rng.choice(text["freq"]),
            "method": rng.choice(text["method"]),
        }
        title = rng.choice(text["titles"]).format(**slots)
        description = rng.choice(text["descriptions"]).format(**slots)
        keyword_pool = keywords_raw.split("|")
        if language != "en" and "en" in languages:
            keyword_pool += words["en"][1].split("|")
        keywords = rng.sample(keyword_pool, min(len(keyword_pool), rng.randint(2, 6)))

        is_open = rng.random() < 0.65
        licence = rng.choice(self.open_licences if is_open else self.closed_licences)
        if is_open:
            access = AccessRights.PUBLIC
        else:
            access = AccessRights.RESTRICTED if rng.random() < 0.75 else AccessRights.NON_PUBLIC

        modified = self.now - timedelta(seconds=rng.randrange(SECONDS_IN_FIVE_YEARS))
        issued = (modified - timedelta(days=rng.randrange(0, 2000))).date()
        pk = uuid.uuid4()  # not from the seeded generator: a second run must not collide
        dataset = Dataset(
            id=pk,
            slug=f"{slugify(title)[:100].rstrip('-')}-{pk.hex[:12]}",
            title=title,
            description=description,
            publisher_id=publisher.pk,
            data_space_id=self.spaces[space_slug].pk,
            licence_id=licence.pk,
            access_rights=access,
            keywords=keywords,
            languages=languages,
            spatial=f"{publisher.region}, {COUNTRY_NAMES[publisher.country]}",
            temporal_start=date(start_year, 1, 1),
            temporal_end=date(end_year, 12, 31),
            issued=issued,
            modified=modified,
            landing_page=f"https://{publisher.slug}.example/datasets/{pk}",
            contact_email=f"data@{publisher.slug}.example",
            version=f"{end_year}.{rng.randint(1, 4)}",
        )
        theme_codes = rng.sample(space_themes, min(len(space_themes), rng.randint(1, 3)))
        formats = rng.choices(FORMAT_CODES, weights=FORMAT_WEIGHTS, k=rng.randint(1, 3))
        return dataset, theme_codes, list(dict.fromkeys(formats))

    def _distribution(self, rng: random.Random, dataset: Dataset, fmt: str) -> Distribution:
        if fmt == "API":
            return Distribution(
                dataset_id=dataset.pk,
                title=f"{FORMAT_TITLES[fmt]} ({dataset.slug[:40]})",
                format=fmt,
                media_type=FORMAT_MEDIA_TYPES[fmt],
                access_url=f"https://api.data.example/v1/datasets/{dataset.pk}",
            )
        return Distribution(
            dataset_id=dataset.pk,
            title=f"{FORMAT_TITLES[fmt]} {dataset.temporal_start.year}-"
            f"{dataset.temporal_end.year} ({fmt.replace('_', '-')})",
            format=fmt,
            media_type=FORMAT_MEDIA_TYPES[fmt],
            # Log-uniform between 2 KB and 20 GB: most files are small, a few are huge.
            byte_size=int(10 ** rng.uniform(3.3, 10.3)),
            sha256=hashlib.sha256(rng.randbytes(16)).hexdigest(),
        )


_child_command: Command | None = None


def _set_child_command(command: Command) -> None:
    global _child_command
    _child_command = command


def _write_batch_in_child(batch: tuple[int, int]) -> dict[str, int]:
    assert _child_command is not None
    try:
        return _child_command._write_batch(*batch)
    finally:
        connection.close()  # the child's own connection; the pool ends its processes abruptly
