"""Every knob of the synthetic customs world, with the defaults documented in docs/synthetic-world.md.

Rates are probabilities (0..1) unless the name says percent. The same config and seed always give the same
world.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

FRAUD_TYPES = (
    "undervaluation",
    "misclassification",
    "false_origin",
    "understated_quantity",
    "prohibited_goods",
)
PROFILES = ("compliant", "occasional", "systematic")
CONTROL_TYPES = ("documentary", "physical", "scan")


@dataclass(frozen=True)
class WorldConfig:
    # --- size and time -------------------------------------------------------------------------------------
    declarations: int = 10_000
    seed: int = 42
    drift: bool = False
    start: str = "2025-01-01"
    days: int = 365

    # --- traders -------------------------------------------------------------------------------------------
    importers: int | None = None  # default: declarations / 20, between 100 and 50,000
    declarants: int | None = None  # default: importers / 40, between 10 and 1,000
    importer_profiles: dict = field(
        default_factory=lambda: {"compliant": 0.82, "occasional": 0.14, "systematic": 0.04})
    new_importer_share: float = 0.12  # importers whose first declaration falls inside the period
    new_importer_profiles: dict = field(
        default_factory=lambda: {"compliant": 0.50, "occasional": 0.30, "systematic": 0.20})
    phoenix_days: tuple[int, int] = (60, 180)  # a new systematic importer vanishes after this many days
    declarant_profiles: dict = field(
        default_factory=lambda: {"compliant": 0.85, "occasional": 0.10, "systematic": 0.05})
    declarant_fraud_multiplier: dict = field(
        default_factory=lambda: {"compliant": 1.0, "occasional": 1.5, "systematic": 3.0})
    self_declaring_share: float = 0.10  # importers lodging their own declarations
    main_declarant_share: float = 0.85  # share of an importer's declarations lodged by its usual declarant
    second_sector_share: float = 0.20  # share of an importer's declarations outside its main sector
    main_origin_share: float = 0.60  # share of items bought from the importer's usual origin (when it makes them)

    # --- fraud ---------------------------------------------------------------------------------------------
    fraud_rate: dict = field(  # probability that a declaration is fraudulent, by importer profile (mean)
        default_factory=lambda: {"compliant": 0.025, "occasional": 0.15, "systematic": 0.55})
    fraud_type_mix: dict = field(  # expected shares of the fraud types among fraudulent declarations
        default_factory=lambda: {
            "undervaluation": 0.40,
            "misclassification": 0.20,
            "false_origin": 0.15,
            "understated_quantity": 0.15,
            "prohibited_goods": 0.10,
        }
    )
    modus_boost: float = 4.0  # weight multiplier of an importer's favourite fraud type
    max_fraud_probability: float = 0.95
    undervaluation_factor: tuple[float, float] = (0.30, 0.75)  # declared / true value
    understatement_factor: tuple[float, float] = (0.40, 0.80)  # declared / true quantity
    hot_product_boost: float = 2.5  # fraud weight of the goods in fashion with fraudsters...
    hot_origin_boost: float = 1.5  # ...and of the origins they buy from
    hotspots: dict = field(
        default_factory=lambda: {
            "headings": ("0703", "4011", "6109", "6110", "6203", "6204", "6402", "6404", "6911", "7318"),
            "origins": ("CN", "IN", "VN"),
            "false_origin_routes": {"MY": 0.35, "TH": 0.20, "BD": 0.25, "TR": 0.20},
        }
    )
    drift_hotspots: dict = field(  # where fraud moves to when drift=True
        default_factory=lambda: {
            "headings": ("2402", "6907", "7607", "8528", "8541", "8703", "8711", "8712"),
            "origins": ("AE", "CN", "TH", "TR"),
            "false_origin_routes": {"VN": 0.35, "KH": 0.25, "ID": 0.20, "MA": 0.20},
        }
    )
    drift_window: tuple[float, float] = (0.40, 0.60)  # share of the period over which fraud moves

    # --- goods and shipments -------------------------------------------------------------------------------
    single_item_share: float = 0.65  # declarations with one goods item; the others have 2 + geometric extra
    extra_items_p: float = 0.45  # geometric parameter of the extra items
    max_items: int = 12
    price_sigma: float = 0.25  # log-normal spread of unit prices around the reference price
    quantity_sigma: float = 0.9  # log-normal spread of quantities around the typical consignment
    season_amplitude: float = 0.12  # yearly wave of trade volume (peak mid-October)
    preference_claim_share: float = 0.85  # honest items from a partner country that claim the preference
    hub_dispatch_share: float = 0.10  # consignments dispatched from a hub (AE, SG, HK, ...) not the origin

    # --- historic controls ---------------------------------------------------------------------------------
    risk_control_rate: float = 0.085  # declarations selected by the administration's (biased) risk rules
    random_control_rate: float = 0.015  # random sample, as a share of all declarations
    intel_flag_rate: dict = field(  # probability that a trader is on the administration's watchlist
        default_factory=lambda: {"compliant": 0.03, "occasional": 0.15, "systematic": 0.50})
    control_type_mix: dict = field(
        default_factory=lambda: {
            "risk": {"documentary": 0.55, "physical": 0.30, "scan": 0.15},
            "random": {"documentary": 0.50, "physical": 0.35, "scan": 0.15},
        }
    )
    detection: dict = field(  # probability that a control of this type finds a fraud of this type
        default_factory=lambda: {
            "documentary": {"undervaluation": 0.55, "misclassification": 0.45, "false_origin": 0.50,
                            "understated_quantity": 0.20, "prohibited_goods": 0.05},
            "physical": {"undervaluation": 0.60, "misclassification": 0.90, "false_origin": 0.35,
                         "understated_quantity": 0.90, "prohibited_goods": 0.85},
            "scan": {"undervaluation": 0.15, "misclassification": 0.30, "false_origin": 0.05,
                     "understated_quantity": 0.70, "prohibited_goods": 0.75},
        }
    )

    def __post_init__(self):
        if self.declarations < 1:
            raise ValueError("declarations must be at least 1")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        for name in ("importer_profiles", "new_importer_profiles", "declarant_profiles", "fraud_rate",
                     "intel_flag_rate", "declarant_fraud_multiplier"):
            if set(getattr(self, name)) != set(PROFILES):
                raise ValueError(f"{name} must give a value for each of {PROFILES}")
        if set(self.fraud_type_mix) != set(FRAUD_TYPES):
            raise ValueError(f"fraud_type_mix must give a weight for each of {FRAUD_TYPES}")

    @property
    def n_importers(self) -> int:
        return self.importers or int(min(max(self.declarations / 20, 100), 50_000))

    @property
    def n_declarants(self) -> int:
        return self.declarants or int(min(max(self.n_importers / 40, 10), 1_000))

    def ending(self, end: date) -> "WorldConfig":
        """The same world moved in time so that it ends on `end` (exclusive): its `days` days are the ones before
        `end`, the last declarations lodged the day before. `make demo` uses today, so that deadlines, slots and
        overdue flags show as they would in service."""
        return replace(self, start=(end - timedelta(days=self.days)).isoformat())
