"""The goods of the synthetic world: a curated set of HS 2022 subheadings with a tariff schedule, reference unit
prices by origin, trade measures (anti-dumping, preferences) and the wording traders use to describe them.

Duty rates are illustrative: modelled on the EU Common Customs Tariff and its trade-defence measures, not the
legal tariff. The two national digits after the HS subheading are illustrative too.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Sector:
    name: str
    trade_weight: float  # share of importers whose main business it is
    fraud_appeal: float  # same, among systematic fraudsters
    freight: str  # bulk, general or light: drives the mode of transport
    brands: tuple[str, ...]


@dataclass(frozen=True)
class Product:
    code: str  # HS 2022 subheading + 2 national digits
    sector: str
    unit: str  # UN/ECE Recommendation 20
    duty: float  # conventional duty, percent ad valorem
    price: float  # world reference price, EUR per unit
    unit_mass: float  # kg net per unit
    quantity: float  # typical quantity of one goods item
    origins: dict[str, float]
    nouns: tuple[str, ...]
    qualifiers: tuple[str, ...]
    lower_code: str | None = None  # lower-duty code of the same chapter used to misclassify it
    season: str = "flat"
    sensitive: bool = False  # on the administration's list of sensitive goods


SECTORS = [
    Sector("apparel", 0.14, 0.20, "general", ("SUNRISE", "Blue Harbor", "KINGSTAR", "Urban Leaf", "NOVA", "Mira")),
    Sector("footwear", 0.06, 0.10, "general", ("Stridex", "ROADLINE", "Pacer", "Kumo", "FLEXO")),
    Sector("steel", 0.07, 0.10, "bulk", ("Q235B", "S355JR", "SPCC", "DX51D", "HSL")),
    Sector("aluminium", 0.03, 0.04, "bulk", ("AL-Pro", "Alucor", "8011-O", "1235", "Silvermet")),
    Sector("tyres", 0.05, 0.07, "bulk", ("Roadking", "DURAGRIP", "Sailstar", "TRAXON", "Kapsen")),
    Sector("ceramics", 0.04, 0.06, "bulk", ("Marmora", "CERAMICA ROYAL", "Porcelano", "Tileland")),
    Sector("electronics", 0.16, 0.07, "light", ("VOLTA", "Zentek", "Hikari", "NEXIO", "Lumix-Pro", "Soundmax")),
    Sector("solar", 0.03, 0.05, "general", ("SunVolt", "HELIOS", "Photon-X", "Jinsol", "BrightCell")),
    Sector("vehicles", 0.11, 0.10, "bulk", ("Velo", "E-RIDE", "Autolux", "Brakemax", "DRIVEON", "Cyclone")),
    Sector("toys", 0.07, 0.05, "general", ("Happy Kid", "FUNLAND", "Toymax", "Jolly", "XMAS STAR")),
    Sector("tobacco", 0.02, 0.06, "general", ("Golden Crown", "RED HORSE", "Marlow", "Capitan", "Smooth")),
    Sector("beverages", 0.05, 0.04, "general", ("Vina Sol", "HIGHLAND", "Castillo", "Old Oak", "Brau")),
    Sector("food", 0.08, 0.04, "bulk", ("Fresh Valley", "OCEAN PRIDE", "Golden Farm", "Delta", "Sunny")),
    Sector("home", 0.09, 0.02, "general", ("Casa Bella", "LUMINO", "Nordwood", "Vogue", "Aurora")),
]

_APPAREL = {"CN": 0.35, "BD": 0.25, "TR": 0.12, "IN": 0.10, "PK": 0.06, "KH": 0.06, "VN": 0.06}
_FASTENER = {"CN": 0.45, "TW": 0.25, "IN": 0.10, "VN": 0.10, "MY": 0.05, "TH": 0.05}

PRODUCTS = [
    # apparel, chapters 61 and 62
    Product("61091000", "apparel", "NAR", 12.0, 3.2, 0.18, 1200, _APPAREL,
            ("t-shirt", "tshirt", "tee shirt", "T-shirts", "crew neck tee", "basic tee", "short sleeve top"),
            ("100% cotton", "cotton jersey", "knitted", "mens", "ladies", "printed", "white/black", "S-XXL"),
            lower_code="61178000", sensitive=True),
    Product("61099020", "apparel", "NAR", 12.0, 3.8, 0.15, 1000, _APPAREL,
            ("t-shirt", "sport tee", "running shirt", "dry fit tee", "tank top", "singlet"),
            ("polyester", "100% polyester", "synthetic", "quick dry", "mens", "womens", "knitted"),
            lower_code="61178000", sensitive=True),
    Product("61102099", "apparel", "NAR", 12.0, 8.5, 0.45, 600, _APPAREL,
            ("pullover", "sweater", "jumper", "cardigan", "hoodie", "sweatshirt"),
            ("cotton", "cotton knit", "fleece", "mens", "ladies", "zip", "crew neck", "hooded"),
            lower_code="61178000", season="winter", sensitive=True),
    Product("61046200", "apparel", "NAR", 12.0, 7.5, 0.40, 600, _APPAREL,
            ("leggings", "jogging pants", "knitted trousers", "track pants", "shorts"),
            ("cotton", "ladies", "girls", "stretch", "elastic waist", "knitted"),
            lower_code="61178000", sensitive=True),
    Product("62034231", "apparel", "NAR", 12.0, 9.0, 0.60, 500,
            {"CN": 0.30, "BD": 0.25, "PK": 0.15, "TR": 0.15, "IN": 0.10, "MA": 0.05},
            ("jeans", "denim trousers", "denim pants", "5-pocket jeans", "trousers"),
            ("mens", "cotton denim", "blue", "slim fit", "washed", "stonewash", "W30-W38"),
            lower_code="62171000", sensitive=True),
    Product("62044290", "apparel", "NAR", 12.0, 11.0, 0.35, 400,
            {"CN": 0.35, "IN": 0.25, "BD": 0.15, "TR": 0.15, "MA": 0.10},
            ("dress", "summer dress", "maxi dress", "shirt dress", "sundress"),
            ("ladies", "womens", "cotton", "woven", "floral print", "sleeveless"),
            lower_code="62171000", sensitive=True),
    Product("61159500", "apparel", "NPR", 12.0, 0.8, 0.05, 3000, _APPAREL,
            ("socks", "sport socks", "ankle socks", "crew socks"),
            ("cotton", "combed cotton", "assorted colours", "pairs", "mens", "kids")),
    Product("62121090", "apparel", "NAR", 6.5, 3.5, 0.08, 1000,
            {"CN": 0.45, "BD": 0.15, "LK": 0.20, "VN": 0.10, "MA": 0.10},
            ("bra", "brassiere", "bralette", "sports bra", "push-up bra"),
            ("lace", "padded", "underwired", "seamless", "ladies")),
    Product("61178000", "apparel", "NAR", 8.0, 1.5, 0.10, 2000, _APPAREL,
            ("knitted accessory", "headband", "wristband", "knitted collar", "cuffs"),
            ("knit", "elastic", "assorted", "acrylic", "ribbed")),
    Product("62171000", "apparel", "NAR", 6.3, 1.2, 0.08, 2000, _APPAREL,
            ("clothing accessory", "shoulder pads", "dress shields", "sleeve protector", "collar stays"),
            ("woven", "fabric", "assorted", "polyester", "sew-on")),
    # footwear, chapter 64
    Product("64041100", "footwear", "NPR", 16.9, 9.0, 0.80, 800,
            {"CN": 0.50, "VN": 0.30, "ID": 0.10, "IN": 0.05, "KH": 0.05},
            ("sneakers", "trainers", "running shoes", "sport shoes", "tennis shoes", "gym shoes"),
            ("textile upper", "mesh", "rubber sole", "lace-up", "mens", "womens", "sizes 36-46"),
            lower_code="64039996", sensitive=True),
    Product("64029998", "footwear", "NPR", 16.9, 4.5, 0.60, 1200,
            {"CN": 0.60, "VN": 0.25, "ID": 0.10, "BD": 0.05},
            ("sandals", "slippers", "flip flops", "slides", "clogs", "rain boots"),
            ("EVA", "PVC", "rubber", "plastic", "beach", "kids", "unisex"),
            lower_code="64039996", sensitive=True),
    Product("64039996", "footwear", "NPR", 8.0, 18.0, 0.90, 400,
            {"CN": 0.30, "VN": 0.25, "IN": 0.20, "TR": 0.10, "BR": 0.10, "MA": 0.05},
            ("leather shoes", "loafers", "oxford shoes", "derby shoes", "moccasins", "ballerinas"),
            ("genuine leather", "leather upper", "mens", "ladies", "black", "brown"),
            lower_code="64069030"),
    Product("64069030", "footwear", "KGM", 3.0, 12.0, 1.0, 300,
            {"CN": 0.50, "IN": 0.20, "VN": 0.20, "TR": 0.10},
            ("shoe uppers", "footwear parts", "insoles", "heels", "outsoles"),
            ("leather", "unfinished", "cut", "PU", "for shoe factory")),
    # steel, chapters 72 and 73
    Product("72085120", "steel", "KGM", 0.0, 0.65, 1.0, 60000,
            {"CN": 0.30, "IN": 0.20, "TR": 0.20, "KR": 0.10, "UA": 0.10, "RS": 0.10},
            ("hot rolled steel plate", "HR plate", "steel plates", "heavy plate", "HRP"),
            ("non-alloy", "thickness 12mm", "20mm", "not in coils", "width 2000mm", "prime"), sensitive=True),
    Product("72104900", "steel", "KGM", 0.0, 0.85, 1.0, 40000,
            {"CN": 0.30, "KR": 0.20, "IN": 0.20, "TR": 0.15, "TW": 0.15},
            ("galvanized steel coil", "GI coil", "zinc coated sheet", "galvanised steel", "HDG coil"),
            ("Z100", "Z275", "0.5mm", "1.0mm", "prime quality", "regular spangle"), sensitive=True),
    Product("73181595", "steel", "KGM", 3.7, 2.2, 1.0, 8000, _FASTENER,
            ("bolts", "hex bolts", "screws", "machine screws", "threaded bolts", "fasteners"),
            ("steel", "zinc plated", "M8", "M10", "M12", "DIN 933", "grade 8.8", "with nuts"),
            lower_code="73269098", sensitive=True),
    Product("73181290", "steel", "KGM", 3.7, 2.5, 1.0, 5000, _FASTENER,
            ("wood screws", "chipboard screws", "self tapping screws", "drywall screws"),
            ("steel", "yellow zinc", "4x40", "5x60", "countersunk", "pozi"),
            lower_code="73269098", sensitive=True),
    Product("73269098", "steel", "KGM", 2.7, 3.0, 1.0, 3000,
            {"CN": 0.50, "TR": 0.15, "IN": 0.15, "TW": 0.10, "VN": 0.10},
            ("steel brackets", "metal hooks", "steel clips", "wire baskets", "steel fittings"),
            ("iron", "galvanized", "powder coated", "stamped", "for shelving")),
    Product("73041100", "steel", "KGM", 0.0, 6.0, 1.0, 15000,
            {"CN": 0.40, "IN": 0.30, "JP": 0.10, "KR": 0.10, "UA": 0.10},
            ("seamless pipe", "stainless tube", "line pipe", "seamless tubes"),
            ("stainless steel", "304L", "316L", "for oil and gas", "OD 114mm"), sensitive=True),
    # aluminium, chapter 76
    Product("76071119", "aluminium", "KGM", 7.5, 3.4, 1.0, 15000,
            {"CN": 0.50, "TR": 0.20, "IN": 0.10, "TH": 0.10, "MY": 0.10},
            ("aluminium foil", "alu foil", "household foil", "foil jumbo rolls"),
            ("8011", "11 micron", "rolled", "not backed", "jumbo roll"), lower_code="76069200",
            sensitive=True),
    Product("76069200", "aluminium", "KGM", 7.5, 3.8, 1.0, 12000,
            {"CN": 0.30, "TR": 0.20, "IN": 0.15, "US": 0.10, "KR": 0.15, "NO": 0.10},
            ("aluminium sheet", "alu plate", "aluminium plates", "alloy sheet"),
            ("5083", "6061", "3mm", "alloyed", "mill finish")),
    Product("76101000", "aluminium", "KGM", 6.0, 7.0, 1.0, 3000,
            {"CN": 0.40, "TR": 0.40, "UA": 0.20},
            ("aluminium windows", "alu doors", "window frames", "sliding doors"),
            ("profile", "thermal break", "anodized", "with glass")),
    # tyres, chapter 40
    Product("40111000", "tyres", "NAR", 4.5, 38.0, 9.0, 600,
            {"CN": 0.35, "KR": 0.15, "JP": 0.10, "TR": 0.15, "TH": 0.10, "IN": 0.10, "RS": 0.05},
            ("car tyres", "passenger tyres", "PCR tyres", "tires", "radial tyres"),
            ("205/55R16", "195/65R15", "225/45R17", "summer", "winter", "all season", "new"),
            lower_code="40169997", sensitive=True),
    Product("40112090", "tyres", "NAR", 4.5, 190.0, 55.0, 200,
            {"CN": 0.45, "TH": 0.15, "KR": 0.10, "TR": 0.10, "IN": 0.10, "JP": 0.10},
            ("truck tyres", "TBR tyres", "bus tyres", "lorry tires"),
            ("315/80R22.5", "295/80R22.5", "radial", "new", "steer", "drive"),
            lower_code="40111000", sensitive=True),
    Product("40114000", "tyres", "NAR", 4.0, 25.0, 4.0, 500,
            {"CN": 0.40, "IN": 0.30, "TH": 0.20, "ID": 0.10},
            ("motorcycle tyres", "moto tyres", "scooter tires"),
            ("3.00-18", "130/70-12", "tubeless", "new"), lower_code="40169997"),
    Product("40169997", "tyres", "KGM", 2.5, 4.0, 1.0, 2000,
            {"CN": 0.50, "MY": 0.20, "TH": 0.15, "VN": 0.15},
            ("rubber parts", "rubber gaskets", "rubber mats", "o-rings", "rubber buffers"),
            ("vulcanised", "EPDM", "NBR", "moulded", "industrial")),
    # ceramics, chapter 69
    Product("69072100", "ceramics", "MTK", 5.0, 7.5, 22.0, 2500,
            {"CN": 0.35, "IN": 0.30, "TR": 0.20, "BR": 0.10, "MA": 0.05},
            ("porcelain tiles", "floor tiles", "wall tiles", "glazed tiles", "vitrified tiles"),
            ("60x60", "30x60", "polished", "matt", "marble look", "1st grade"),
            lower_code="69149000", sensitive=True),
    Product("69111000", "ceramics", "KGM", 12.0, 3.5, 1.0, 8000,
            {"CN": 0.60, "TH": 0.10, "IN": 0.10, "TR": 0.10, "BD": 0.05, "VN": 0.05},
            ("porcelain dinnerware", "plates", "dinner set", "mugs", "cups and saucers", "bowls"),
            ("porcelain", "fine china", "white", "16 pcs", "decorated"),
            lower_code="69141000", sensitive=True),
    Product("69120023", "ceramics", "KGM", 9.0, 2.8, 1.0, 8000,
            {"CN": 0.55, "TR": 0.15, "VN": 0.15, "IN": 0.15},
            ("stoneware mugs", "ceramic plates", "earthenware bowls", "tableware", "coffee mugs"),
            ("stoneware", "ceramic", "glazed", "handpainted", "set of 6"),
            lower_code="69149000", sensitive=True),
    Product("69141000", "ceramics", "KGM", 5.0, 4.0, 1.0, 1500,
            {"CN": 0.60, "TH": 0.20, "IN": 0.20},
            ("porcelain figurines", "porcelain vase", "ornaments", "porcelain decoration"),
            ("porcelain", "decorative", "handmade")),
    Product("69149000", "ceramics", "KGM", 5.0, 2.5, 1.0, 2000,
            {"CN": 0.60, "TR": 0.20, "IN": 0.20},
            ("flower pots", "ceramic planters", "garden pots", "ceramic lamps base"),
            ("terracotta", "glazed", "outdoor", "assorted sizes")),
    # electronics, chapters 84 and 85
    Product("85287200", "electronics", "NAR", 14.0, 240.0, 12.0, 300,
            {"CN": 0.40, "TR": 0.20, "KR": 0.10, "MY": 0.10, "TH": 0.10, "VN": 0.10},
            ("LED TV", "smart TV", "television", "UHD TV", "4K television"),
            ("43 inch", "55\"", "65 inch", "with tuner", "android", "DVB-T2"),
            lower_code="85285210", season="q4", sensitive=True),
    Product("85285210", "electronics", "NAR", 0.0, 140.0, 5.0, 300,
            {"CN": 0.60, "TW": 0.15, "KR": 0.10, "VN": 0.15},
            ("monitor", "LCD monitor", "computer monitor", "gaming monitor", "display"),
            ("24 inch", "27\"", "IPS", "HDMI", "DisplayPort", "144Hz")),
    Product("85171300", "electronics", "NAR", 0.0, 220.0, 0.25, 500,
            {"CN": 0.70, "VN": 0.20, "IN": 0.10},
            ("smartphone", "mobile phone", "cell phone", "android phone", "5G phone"),
            ("128GB", "256GB", "dual SIM", "unlocked", "black", "with charger"), season="q4"),
    Product("85167100", "electronics", "NAR", 2.7, 45.0, 3.5, 400,
            {"CN": 0.70, "TR": 0.10, "CH": 0.10, "VN": 0.10},
            ("coffee machine", "coffee maker", "espresso machine", "drip coffee maker", "kettle"),
            ("220V", "1.5L", "automatic", "household", "stainless"), lower_code="85094000"),
    Product("85094000", "electronics", "NAR", 2.2, 30.0, 3.0, 500,
            {"CN": 0.80, "TR": 0.10, "TH": 0.10},
            ("blender", "food mixer", "hand mixer", "juicer", "food processor"),
            ("500W", "household", "with jug", "stainless blades")),
    Product("85076000", "electronics", "NAR", 2.7, 60.0, 2.5, 800,
            {"CN": 0.60, "KR": 0.20, "JP": 0.10, "VN": 0.10},
            ("lithium battery", "Li-ion battery pack", "battery module", "power bank", "LiFePO4 battery"),
            ("12V 100Ah", "48V", "rechargeable", "UN38.3", "18650 cells")),
    Product("84713000", "electronics", "NAR", 0.0, 480.0, 1.6, 200,
            {"CN": 0.75, "TW": 0.10, "VN": 0.15},
            ("laptop", "notebook computer", "notebook", "ultrabook", "chromebook"),
            ("15.6\"", "14 inch", "i5", "16GB RAM", "512GB SSD", "win11"), season="q4"),
    Product("84151090", "electronics", "NAR", 2.7, 310.0, 35.0, 150,
            {"CN": 0.60, "TH": 0.20, "MY": 0.10, "TR": 0.10},
            ("air conditioner", "split AC", "air conditioning unit", "wall mounted AC", "heat pump split"),
            ("12000 BTU", "inverter", "R32", "indoor+outdoor unit"), season="summer"),
    # solar, chapter 85
    Product("85414300", "solar", "NAR", 0.0, 95.0, 21.0, 800,
            {"CN": 0.80, "VN": 0.08, "MY": 0.05, "TH": 0.04, "IN": 0.03},
            ("solar panel", "PV module", "photovoltaic module", "solar modules"),
            ("mono", "monocrystalline", "410W", "550Wp", "half cell", "bifacial"), sensitive=True),
    Product("85044090", "solar", "NAR", 3.3, 650.0, 20.0, 100,
            {"CN": 0.85, "TW": 0.10, "TR": 0.05},
            ("inverter", "solar inverter", "hybrid inverter", "grid tie inverter"),
            ("5kW", "10kW", "three phase", "MPPT", "with WiFi")),
    # vehicles, chapter 87
    Product("87038010", "vehicles", "NAR", 10.0, 24000.0, 1900.0, 40,
            {"CN": 0.50, "KR": 0.20, "US": 0.10, "JP": 0.10, "GB": 0.10},
            ("electric car", "EV", "battery electric vehicle", "electric SUV", "passenger car"),
            ("new", "LHD", "long range", "5 seats", "VIN attached"), sensitive=True),
    Product("87116010", "vehicles", "NAR", 6.0, 620.0, 24.0, 150,
            {"CN": 0.70, "TW": 0.15, "VN": 0.10, "KH": 0.05},
            ("e-bike", "electric bicycle", "pedelec", "ebike", "electric bike"),
            ("250W", "36V", "city", "MTB", "28\"", "pedal assist"),
            lower_code="87149990", season="summer", sensitive=True),
    Product("87120030", "vehicles", "NAR", 14.0, 160.0, 14.0, 250,
            {"CN": 0.35, "TW": 0.25, "KH": 0.20, "BD": 0.10, "VN": 0.10},
            ("bicycle", "bike", "mountain bike", "city bike", "road bicycle"),
            ("26\"", "21 speed", "alloy frame", "kids", "complete"),
            lower_code="87149990", season="summer", sensitive=True),
    Product("87149990", "vehicles", "KGM", 4.7, 9.0, 1.0, 1500,
            {"CN": 0.50, "TW": 0.35, "VN": 0.15},
            ("bicycle parts", "bike parts", "handlebars", "pedals", "saddles", "chains"),
            ("alloy", "steel", "spare parts", "assorted")),
    Product("87083091", "vehicles", "KGM", 4.5, 8.0, 1.0, 2000,
            {"CN": 0.35, "TR": 0.20, "JP": 0.10, "KR": 0.10, "IN": 0.10, "MA": 0.05, "US": 0.10},
            ("brake pads", "brake discs", "brake shoes", "brake calipers"),
            ("for cars", "ceramic", "semi-metallic", "front axle", "OEM quality")),
    Product("87089997", "vehicles", "KGM", 4.5, 10.0, 1.0, 3000,
            {"CN": 0.35, "TR": 0.20, "JP": 0.10, "KR": 0.10, "US": 0.10, "MX": 0.10, "MA": 0.05},
            ("auto parts", "car parts", "spare parts for cars", "suspension parts", "exhaust parts"),
            ("for vehicles", "aftermarket", "steel", "assorted")),
    Product("87087050", "vehicles", "NAR", 4.5, 85.0, 10.0, 400,
            {"CN": 0.60, "TR": 0.20, "MA": 0.10, "TH": 0.10},
            ("alloy wheels", "aluminium rims", "road wheels", "car rims"),
            ("17 inch", "18x8J", "5x112", "silver", "machined face"), sensitive=True),
    # toys and festive articles, chapter 95
    Product("95030075", "toys", "NAR", 4.7, 6.0, 0.4, 3000,
            {"CN": 0.85, "VN": 0.10, "ID": 0.05},
            ("plastic toys", "toy cars", "building blocks", "action figures", "toy set"),
            ("plastic", "for children 3+", "assorted", "battery operated", "gift box"),
            lower_code="95059000", season="q4"),
    Product("95030041", "toys", "NAR", 4.7, 5.0, 0.3, 2000,
            {"CN": 0.85, "VN": 0.10, "ID": 0.05},
            ("plush toys", "stuffed animals", "soft toys", "teddy bears"),
            ("plush", "30cm", "assorted", "polyester filling"), lower_code="95059000", season="q4"),
    Product("95045000", "toys", "NAR", 0.0, 280.0, 3.0, 200,
            {"CN": 0.80, "VN": 0.20},
            ("game console", "video game console", "handheld console", "gaming console"),
            ("with controller", "1TB", "bundle"), season="q4"),
    Product("95051090", "toys", "KGM", 2.7, 6.0, 1.0, 1500,
            {"CN": 0.90, "VN": 0.05, "IN": 0.05},
            ("christmas decorations", "xmas baubles", "christmas tree", "tinsel", "christmas lights deco"),
            ("plastic", "glitter", "assorted colours", "artificial"), season="xmas"),
    Product("95059000", "toys", "KGM", 2.7, 5.0, 1.0, 1500,
            {"CN": 0.90, "IN": 0.10},
            ("party articles", "carnival masks", "halloween costumes", "party decorations"),
            ("assorted", "plastic", "for parties")),
    Product("95069190", "toys", "NAR", 2.7, 80.0, 15.0, 300,
            {"CN": 0.80, "TW": 0.20},
            ("treadmill", "fitness equipment", "exercise bike", "dumbbells set", "home gym"),
            ("foldable", "for home use", "adjustable")),
    # tobacco, chapter 24
    Product("24022090", "tobacco", "MIL", 57.6, 22.0, 1.0, 500,
            {"AE": 0.30, "CN": 0.15, "TR": 0.15, "UA": 0.10, "MD": 0.10, "RS": 0.10, "IN": 0.10},
            ("cigarettes", "cigarette", "king size cigarettes", "slims"),
            ("20 sticks/pack", "filter", "blend", "10 packs/carton", "menthol"),
            lower_code="24021000", sensitive=True),
    Product("24021000", "tobacco", "MIL", 26.0, 180.0, 5.0, 50,
            {"DO": 0.40, "HN": 0.20, "NI": 0.20, "CU": 0.20},
            ("cigars", "cigarillos", "premium cigars", "hand rolled cigars"),
            ("box of 25", "robusto", "corona", "natural")),
    Product("24031990", "tobacco", "KGM", 74.9, 45.0, 1.0, 500,
            {"TR": 0.30, "IN": 0.20, "US": 0.20, "BR": 0.20, "ID": 0.10},
            ("smoking tobacco", "rolling tobacco", "pipe tobacco", "shisha tobacco"),
            ("50g pouch", "fine cut", "flavoured")),
    # beverages, chapter 22
    Product("22041000", "beverages", "LTR", 8.0, 6.0, 1.3, 3000,
            {"US": 0.20, "AU": 0.20, "ZA": 0.20, "CL": 0.10, "AR": 0.10, "GB": 0.10, "MD": 0.10},
            ("sparkling wine", "brut", "prosecco style wine", "cava style", "bubbly wine"),
            ("0.75l", "12% vol", "6x75cl", "white", "rose"), lower_code="22042100", season="xmas",
            sensitive=True),
    Product("22042100", "beverages", "LTR", 4.0, 3.5, 1.3, 6000,
            {"CL": 0.20, "AU": 0.20, "ZA": 0.20, "US": 0.15, "AR": 0.15, "NZ": 0.10},
            ("red wine", "white wine", "wine", "merlot", "cabernet sauvignon", "chardonnay"),
            ("0.75l", "13.5% vol", "still", "6x75cl", "dry")),
    Product("22083000", "beverages", "LTR", 0.0, 12.0, 1.2, 3000,
            {"GB": 0.60, "US": 0.25, "JP": 0.15},
            ("whisky", "scotch whisky", "bourbon", "single malt", "blended whisky"),
            ("0.7l", "40% vol", "12 years", "in gift box")),
    Product("22030001", "beverages", "LTR", 0.0, 1.1, 1.05, 20000,
            {"GB": 0.30, "MX": 0.30, "US": 0.10, "RS": 0.10, "UA": 0.10, "CN": 0.10},
            ("beer", "lager", "pale ale", "craft beer", "malt beer"),
            ("0.33l bottles", "cans 0.5l", "4.5% vol", "24 x 330ml")),
    # food, chapters 03, 07 and 08
    Product("07032000", "food", "KGM", 60.0, 1.1, 1.0, 24000,
            {"CN": 0.60, "AR": 0.20, "EG": 0.10, "TR": 0.10},
            ("garlic", "fresh garlic", "white garlic", "normal white garlic", "pure white garlic"),
            ("fresh", "5.5cm", "10kg mesh bags", "new crop", "chilled"),
            lower_code="07031019", sensitive=True),
    Product("07031019", "food", "KGM", 9.6, 0.35, 1.0, 24000,
            {"EG": 0.30, "IN": 0.20, "NZ": 0.20, "CL": 0.10, "PE": 0.10, "MA": 0.10},
            ("onions", "red onions", "yellow onions", "shallots", "fresh onions"),
            ("fresh", "25kg bags", "40-60mm", "new crop")),
    Product("03061792", "food", "KGM", 12.0, 7.5, 1.0, 15000,
            {"VN": 0.30, "IN": 0.30, "EC": 0.20, "BD": 0.10, "TH": 0.10},
            ("frozen shrimps", "vannamei shrimp", "prawns", "black tiger prawns", "HLSO shrimp"),
            ("frozen", "IQF", "raw", "26/30", "peeled", "block frozen"), lower_code="03046200",
            sensitive=True),
    Product("03046200", "food", "KGM", 9.0, 2.2, 1.0, 20000,
            {"VN": 0.90, "BD": 0.05, "IN": 0.05},
            ("pangasius fillets", "basa fillets", "catfish fillets", "white fish fillets"),
            ("frozen", "IQF", "skinless", "boneless", "glazed")),
    Product("08039010", "food", "KGM", 10.0, 0.75, 1.0, 20000,
            {"EC": 0.40, "CO": 0.30, "CR": 0.20, "PA": 0.10},
            ("bananas", "fresh bananas", "cavendish bananas", "green bananas"),
            ("fresh", "18.14kg boxes", "class I", "premium")),
    Product("08051022", "food", "KGM", 16.0, 0.80, 1.0, 20000,
            {"EG": 0.30, "MA": 0.30, "ZA": 0.30, "TR": 0.10},
            ("oranges", "fresh oranges", "navel oranges", "valencia oranges"),
            ("fresh", "15kg cartons", "size 3", "class I"), season="citrus"),
    # home and accessories, chapters 33, 42, 90 and 94
    Product("94036010", "home", "NAR", 0.0, 120.0, 25.0, 150,
            {"CN": 0.50, "VN": 0.30, "ID": 0.10, "MY": 0.10},
            ("wooden furniture", "dining table", "wooden chairs", "cabinet", "bookshelf", "sideboard"),
            ("solid wood", "oak", "pine", "knock down", "KD packed")),
    Product("94051140", "home", "NAR", 4.7, 35.0, 2.5, 500,
            {"CN": 0.90, "VN": 0.10},
            ("ceiling lamp", "LED ceiling light", "chandelier", "pendant light", "wall lamp"),
            ("LED", "24W", "modern", "with remote", "for indoor use")),
    Product("42022210", "home", "NAR", 9.7, 8.0, 0.5, 1000,
            {"CN": 0.80, "VN": 0.10, "IN": 0.10},
            ("handbag", "shoulder bag", "ladies bag", "tote bag", "clutch"),
            ("PU", "plastic sheeting", "fashion", "with zipper"), lower_code="42022290"),
    Product("42022290", "home", "NAR", 2.7, 5.0, 0.4, 1000,
            {"CN": 0.60, "IN": 0.30, "VN": 0.10},
            ("canvas bag", "jute bag", "cotton tote", "shopping bag", "beach bag"),
            ("canvas", "jute", "textile", "printed")),
    Product("33030090", "home", "NAR", 0.0, 15.0, 0.3, 1000,
            {"US": 0.20, "CH": 0.20, "GB": 0.20, "AE": 0.20, "CN": 0.20},
            ("perfume", "eau de parfum", "eau de toilette", "fragrance", "body mist"),
            ("100ml", "50ml", "for women", "for men", "spray")),
    Product("90041091", "home", "NAR", 2.9, 4.0, 0.05, 2000,
            {"CN": 0.90, "IN": 0.10},
            ("sunglasses", "sun glasses", "shades", "polarized glasses"),
            ("UV400", "plastic frame", "unisex", "assorted"), season="summer"),
]

# Additional duties (anti-dumping or countervailing), percent ad valorem on top of the conventional duty.
ANTI_DUMPING = {
    ("72085120", "CN"): 25.0,
    ("72104900", "CN"): 22.0,
    ("73181595", "CN"): 55.0,
    ("73181290", "CN"): 55.0,
    ("73041100", "CN"): 60.0,
    ("76071119", "CN"): 30.0,
    ("40112090", "CN"): 45.0,
    ("69072100", "CN"): 50.0,
    ("69111000", "CN"): 35.0,
    ("69120023", "CN"): 35.0,
    ("85414300", "CN"): 40.0,
    ("87038010", "CN"): 20.0,
    ("87116010", "CN"): 60.0,
    ("87120030", "CN"): 48.5,
    ("87087050", "CN"): 22.0,
}

# Preferential partners: claim code, and whether agricultural goods (chapters 01-24) are covered.
PREFERENCES = {
    "TR": ("EU-TR-CU", False), "MA": ("EU-MA-AA", True), "KR": ("EU-KR-FTA", True), "VN": ("EU-VN-FTA", True),
    "JP": ("EU-JP-EPA", True), "GB": ("EU-UK-TCA", True), "CH": ("EU-CH-FTA", False),
    "MX": ("EU-MX-GA", True), "EG": ("EU-EG-AA", True), "ZA": ("EU-SADC-EPA", True),
    "CO": ("EU-CO-PE-EC", True), "PE": ("EU-CO-PE-EC", True), "EC": ("EU-CO-PE-EC", True),
    "CR": ("EU-CA-AA", True), "PA": ("EU-CA-AA", True), "NO": ("EU-EEA", False), "UA": ("EU-UA-DCFTA", True),
    "RS": ("EU-RS-SAA", True), "MD": ("EU-MD-DCFTA", True), "CL": ("EU-CL-AA", True), "NZ": ("EU-NZ-FTA", True),
    "BD": ("GSP-EBA", True), "KH": ("GSP-EBA", True), "PK": ("GSP-PLUS", True), "LK": ("GSP-PLUS", True),
}

NEAR = frozenset({"TR", "MA", "GB", "CH", "NO", "UA", "RS", "MD", "EG"})
HUBS = {"near": {"GB": 0.4, "CH": 0.2, "TR": 0.4}, "far": {"AE": 0.35, "SG": 0.30, "HK": 0.25, "GB": 0.10}}
ORIGIN_PRICE = {  # local price level relative to the world reference price
    "CN": 0.85, "VN": 0.85, "BD": 0.75, "IN": 0.85, "KH": 0.80, "PK": 0.80, "LK": 0.85, "ID": 0.85, "MY": 0.95,
    "TH": 0.90, "TW": 1.05, "KR": 1.15, "JP": 1.35, "US": 1.30, "GB": 1.30, "CH": 1.50, "NO": 1.40, "TR": 1.00,
    "MA": 0.95, "EG": 0.90, "UA": 0.90, "RS": 0.95, "MD": 0.90, "AE": 1.10, "BR": 1.00, "MX": 1.00, "AR": 0.95,
    "CL": 1.00, "PE": 0.95, "EC": 0.95, "CO": 0.95, "CR": 1.00, "PA": 1.00, "ZA": 1.00, "AU": 1.20, "NZ": 1.20,
    "DO": 1.00, "HN": 0.95, "NI": 0.95, "CU": 1.10, "SG": 1.20, "HK": 1.10,
}

# Transport modes (UN/ECE Rec. 19) by freight class and distance, and the offices that handle each mode.
MODES = {
    ("bulk", "far"): {"1": 0.93, "2": 0.07},
    ("bulk", "near"): {"3": 0.70, "1": 0.25, "2": 0.05},
    ("general", "far"): {"1": 0.78, "4": 0.12, "2": 0.05, "5": 0.05},
    ("general", "near"): {"3": 0.70, "1": 0.15, "4": 0.05, "5": 0.10},
    ("light", "far"): {"1": 0.55, "4": 0.33, "5": 0.12},
    ("light", "near"): {"3": 0.60, "4": 0.20, "5": 0.20},
}
OFFICES = {
    "1": {"PORT-NORTH": 0.50, "PORT-SOUTH": 0.35, "INLAND-CITY": 0.15},
    "2": {"RAIL-TERMINAL": 1.0},
    "3": {"ROAD-EAST": 0.55, "ROAD-SOUTH": 0.30, "INLAND-CITY": 0.15},
    "4": {"AIRPORT-CARGO": 1.0},
    "5": {"POSTAL-HUB": 1.0},
}

# Invoice currencies by origin, and their exchange rates (EUR per unit) at the start of the period.
CURRENCY_BY_ORIGIN = {
    "CN": {"USD": 0.75, "CNY": 0.15, "EUR": 0.10}, "US": {"USD": 0.90, "EUR": 0.10},
    "GB": {"GBP": 0.60, "EUR": 0.30, "USD": 0.10}, "JP": {"JPY": 0.60, "USD": 0.30, "EUR": 0.10},
    "CH": {"CHF": 0.50, "EUR": 0.50}, "KR": {"USD": 0.60, "KRW": 0.20, "EUR": 0.20},
    "IN": {"USD": 0.70, "INR": 0.10, "EUR": 0.20}, "TR": {"EUR": 0.60, "USD": 0.30, "TRY": 0.10},
    "AU": {"AUD": 0.50, "USD": 0.30, "EUR": 0.20}, "ZA": {"ZAR": 0.30, "USD": 0.40, "EUR": 0.30},
    "NO": {"NOK": 0.50, "EUR": 0.50},
}
DEFAULT_CURRENCY = {"USD": 0.60, "EUR": 0.40}
EXCHANGE_RATES = {
    "EUR": 1.0, "USD": 0.92, "CNY": 0.127, "GBP": 1.17, "JPY": 0.0062, "CHF": 1.04, "KRW": 0.00068,
    "INR": 0.011, "TRY": 0.027, "AUD": 0.61, "ZAR": 0.050, "NOK": 0.087,
}
INCOTERMS = {"FOB": 0.35, "CIF": 0.25, "EXW": 0.12, "FCA": 0.10, "DAP": 0.10, "CFR": 0.05, "DDP": 0.03}

# What a trader may hide in a consignment (prohibited or restricted goods): share, value in EUR per kg, mass
# range in kg and the duty those goods would attract if declared (percent).
CONCEALED = {
    "counterfeit_clothing": (0.25, 25.0, (50, 500), 12.0),
    "counterfeit_footwear": (0.10, 40.0, (50, 300), 16.9),
    "cigarettes": (0.35, 22.0, (100, 2000), 57.6),
    "narcotics": (0.20, 5000.0, (2, 60), 0.0),
    "weapons": (0.10, 200.0, (5, 50), 3.2),
}

# Seasonal demand factor by calendar month (1..12), per product season.
SEASONS = {
    "flat": [1.0] * 12,
    "q4": [0.7, 0.7, 0.8, 0.8, 0.8, 0.9, 0.9, 1.1, 1.4, 1.6, 1.6, 1.0],
    "xmas": [0.2, 0.2, 0.3, 0.3, 0.4, 0.6, 0.9, 1.5, 2.5, 2.8, 2.0, 0.5],
    "winter": [1.0, 0.7, 0.6, 0.5, 0.5, 0.6, 0.9, 1.3, 1.6, 1.6, 1.3, 1.1],
    "summer": [0.5, 0.7, 1.2, 1.6, 1.7, 1.5, 1.1, 0.8, 0.6, 0.6, 0.6, 0.5],
    "citrus": [1.6, 1.5, 1.4, 1.1, 0.7, 0.5, 0.5, 0.5, 0.6, 0.9, 1.3, 1.6],
}


def preference(code: str, country: str) -> str | None:
    """The preference claim code an item of this code made in this country may use, if any."""
    found = PREFERENCES.get(country)
    if found is None or (not found[1] and int(code[:2]) <= 24):
        return None
    return found[0]


@lru_cache
def product_table() -> pd.DataFrame:
    """One row per product: code, sector, unit, duty, reference price and misclassification target."""
    frame = pd.DataFrame(
        {
            "commodity_code": [p.code for p in PRODUCTS],
            "sector": [p.sector for p in PRODUCTS],
            "quantity_unit": [p.unit for p in PRODUCTS],
            "duty_rate": [p.duty for p in PRODUCTS],
            "reference_price": [p.price for p in PRODUCTS],
            "unit_mass": [p.unit_mass for p in PRODUCTS],
            "lower_code": [p.lower_code or "" for p in PRODUCTS],
            "season": [p.season for p in PRODUCTS],
            "sensitive": [p.sensitive for p in PRODUCTS],
        }
    )
    return frame


def tariff() -> pd.DataFrame:
    """Tariff schedule: commodity code -> conventional duty rate (percent)."""
    return product_table()[["commodity_code", "duty_rate"]].copy()


def reference_prices() -> pd.DataFrame:
    """Reference unit price (EUR per quantity unit) for each product and each origin it is made in."""
    rows = [
        (p.code, country, p.unit, round(p.price * ORIGIN_PRICE[country], 4))
        for p in PRODUCTS
        for country in p.origins
    ]
    return pd.DataFrame(rows, columns=["commodity_code", "origin_country", "quantity_unit", "reference_price"])


def anti_dumping() -> pd.DataFrame:
    rows = [(code, country, rate) for (code, country), rate in ANTI_DUMPING.items()]
    return pd.DataFrame(rows, columns=["commodity_code", "origin_country", "additional_duty_rate"])


def _typo(text: str, rng: np.random.Generator) -> str:
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    if len(letters) < 4:
        return text
    i = letters[rng.integers(1, len(letters) - 1)]
    kind = rng.integers(4)
    if kind == 0:  # swap two neighbours
        return text[:i] + text[i + 1] + text[i] + text[i + 2:] if i + 1 < len(text) else text
    if kind == 1:  # drop a letter
        return text[:i] + text[i + 1:]
    if kind == 2:  # double a letter
        return text[:i] + text[i] + text[i:]
    vowels = "aeiou"
    return text[:i] + vowels[rng.integers(5)] + text[i + 1:]


_TEMPLATES = (
    "{n}", "{q} {n}", "{n}, {q}", "{n} {q}", "{b} {n}", "{n} - {b} {m}", "{q} {n} {m}", "{n} ({q})",
    "{n} {q} art. {m}", "{b} {q} {n}", "{n} {q}, {q2}", "{q} {n} model {m}", "{n} / {q} / {q2}",
)


def _model_number(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVXYZ"
    prefix = "".join(letters[i] for i in rng.integers(0, len(letters), rng.integers(1, 4)))
    return f"{prefix}{'-' if rng.random() < 0.5 else ''}{rng.integers(10, 9999)}"


@lru_cache
def description_pool(code: str, size: int = 120, typo_rate: float = 0.12) -> tuple[str, ...]:
    """The wordings traders use for one product: the same for every world, so they can be checked."""
    product = next(p for p in PRODUCTS if p.code == code)
    brands = next(s for s in SECTORS if s.name == product.sector).brands
    rng = np.random.default_rng(int(code))
    seen: dict[str, None] = {}
    for _ in range(size * 4):
        if len(seen) >= size:
            break
        q, q2 = rng.choice(len(product.qualifiers), 2, replace=False)
        text = _TEMPLATES[rng.integers(len(_TEMPLATES))].format(
            n=product.nouns[rng.integers(len(product.nouns))],
            q=product.qualifiers[q],
            q2=product.qualifiers[q2],
            b=brands[rng.integers(len(brands))],
            m=_model_number(rng),
        )
        case = rng.random()
        if case < 0.35:
            text = text.upper()
        elif case < 0.55:
            text = text.lower()
        elif case < 0.85:
            text = text[0].upper() + text[1:]
        if rng.random() < typo_rate:
            text = _typo(text, rng)
        seen.setdefault(text)
    return tuple(seen)


@dataclass(frozen=True)
class Matrices:
    """The catalogue as index arrays for vectorised generation (P products, O origins, C currencies)."""

    codes: np.ndarray  # (P,) object
    sector: np.ndarray  # (P,) index into SECTORS
    unit: np.ndarray  # (P,) object
    duty: np.ndarray  # (P,)
    price: np.ndarray  # (P,)
    unit_mass: np.ndarray  # (P,)
    quantity: np.ndarray  # (P,)
    lower: np.ndarray  # (P,) index of the misclassification target, -1 if none
    sensitive: np.ndarray  # (P,) bool
    season: np.ndarray  # (P, 12)
    origins: np.ndarray  # (O,) object: alpha-2 codes
    origin_weight: np.ndarray  # (P, O)
    additional: np.ndarray  # (P, O) anti-dumping / countervailing duty, percent
    claim: np.ndarray  # (P, O) object: preference claim code, "" if none
    near: np.ndarray  # (O,) bool
    origin_price: np.ndarray  # (O,)
    currencies: np.ndarray  # (C,) object
    currency_weight: np.ndarray  # (O, C)
    hub_weight: np.ndarray  # (O, O) dispatch hubs by origin
    freight: np.ndarray  # (S,) object: bulk / general / light per sector
    pool: np.ndarray  # all description variants, product after product
    pool_start: np.ndarray  # (P,)
    pool_size: np.ndarray  # (P,)

    def origin_index(self, countries) -> np.ndarray:
        lookup = {c: i for i, c in enumerate(self.origins)}
        return np.array([lookup[c] for c in countries], dtype=np.int64)

    def product_index(self, codes) -> np.ndarray:
        lookup = {c: i for i, c in enumerate(self.codes)}
        return np.array([lookup[c] for c in codes], dtype=np.int64)


@lru_cache
def matrices() -> Matrices:
    codes = [p.code for p in PRODUCTS]
    countries = sorted(set(ORIGIN_PRICE) | {c for h in HUBS.values() for c in h} | set(PREFERENCES))
    o_index = {c: i for i, c in enumerate(countries)}
    currencies = list(EXCHANGE_RATES)
    n_p, n_o = len(PRODUCTS), len(countries)

    origin_weight = np.zeros((n_p, n_o))
    additional = np.zeros((n_p, n_o))
    claim = np.full((n_p, n_o), "", dtype=object)
    for i, p in enumerate(PRODUCTS):
        for country, weight in p.origins.items():
            origin_weight[i, o_index[country]] = weight
        for country in countries:
            claim[i, o_index[country]] = preference(p.code, country) or ""
    for (code, country), rate in ANTI_DUMPING.items():
        additional[codes.index(code), o_index[country]] = rate

    currency_weight = np.zeros((n_o, len(currencies)))
    hub_weight = np.zeros((n_o, n_o))
    for country, j in o_index.items():
        for currency, weight in CURRENCY_BY_ORIGIN.get(country, DEFAULT_CURRENCY).items():
            currency_weight[j, currencies.index(currency)] = weight
        for hub, weight in HUBS["near" if country in NEAR else "far"].items():
            if hub != country:
                hub_weight[j, o_index[hub]] = weight

    pools = [description_pool(code) for code in codes]
    sizes = np.array([len(pool) for pool in pools])
    return Matrices(
        codes=np.array(codes, dtype=object),
        sector=np.array([[s.name for s in SECTORS].index(p.sector) for p in PRODUCTS]),
        unit=np.array([p.unit for p in PRODUCTS], dtype=object),
        duty=np.array([p.duty for p in PRODUCTS]),
        price=np.array([p.price for p in PRODUCTS]),
        unit_mass=np.array([p.unit_mass for p in PRODUCTS]),
        quantity=np.array([p.quantity for p in PRODUCTS], dtype=float),
        lower=np.array([codes.index(p.lower_code) if p.lower_code else -1 for p in PRODUCTS]),
        sensitive=np.array([p.sensitive for p in PRODUCTS]),
        season=np.array([SEASONS[p.season] for p in PRODUCTS]),
        origins=np.array(countries, dtype=object),
        origin_weight=origin_weight,
        additional=additional,
        claim=claim,
        near=np.array([c in NEAR for c in countries]),
        origin_price=np.array([ORIGIN_PRICE.get(c, 1.0) for c in countries]),
        currencies=np.array(currencies, dtype=object),
        currency_weight=currency_weight,
        hub_weight=hub_weight,
        freight=np.array([s.freight for s in SECTORS], dtype=object),
        pool=np.array([text for pool in pools for text in pool], dtype=object),
        pool_start=np.cumsum(sizes) - sizes,
        pool_size=sizes,
    )
