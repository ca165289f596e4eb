"""The demo catalogue the three sandbox platforms are seeded with.

QuickBooks holds the item master; Shopify and WooCommerce list most of it, with the untidiness
real stores have: a SKU in another case or with stray spaces (matched after normalisation), a
few genuine typos (they wait in the staging area until staff add a matching), a product that
QuickBooks does not have, a non-inventory item the channels do not track, a variable product
with variations, and a couple of listings whose channel quantity drifted from QuickBooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class CatalogueItem:
    sku: str
    name: str
    type: str  # QuickBooks Item.Type: Inventory, NonInventory, Service
    qty: int
    cost: Decimal
    price: Decimal
    barcode: str
    reorder_point: int = 0
    vendor: str = ""
    description: str = ""


@dataclass(frozen=True)
class ChannelProduct:
    """One sellable product or variation on a channel."""

    sku: str  # as the channel spells it (may differ from the master SKU)
    title: str
    qty: int
    price: Decimal
    barcode: str = ""
    tracked: bool = True
    master_sku: str | None = None  # the QuickBooks SKU it really is (None: QuickBooks lacks it)
    parent: str | None = None  # WooCommerce variable product it belongs to
    attributes: dict[str, str] = field(default_factory=dict)


VENDORS = ["Acme Storage Supply", "Nordic Home Goods", "Pacific Textile Co"]
CUSTOMERS = [
    "Shopify Sales",
    "WooCommerce Sales",
    "Amy's Bird Sanctuary",
    "Bill's Windsurf Shop",
    "Cool Cars",
    "Diego Rodriguez",
    "Dukes Basketball Camp",
    "Freeman Sporting Goods",
    "Geeta Kalapatapu",
    "Jeff's Jalopies",
]


def _ean13(n: int) -> str:
    digits = f"400{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


_INVENTORY = [
    # sku, name, qty, cost, price, reorder point, vendor
    ("SAMPLE-BIN", "Sample storage bin", 3900, "4.00", "12.00", 500, VENDORS[0]),
    ("BIN-LG-001", "Storage bin, large", 240, "6.50", "18.00", 40, VENDORS[0]),
    ("BIN-MD-002", "Storage bin, medium", 310, "5.10", "14.00", 40, VENDORS[0]),
    ("BIN-SM-003", "Storage bin, small", 420, "3.20", "9.00", 60, VENDORS[0]),
    ("BIN-LID-004", "Bin lid", 500, "1.10", "3.50", 80, VENDORS[0]),
    ("SHELF-BRKT-02", "Shelf bracket, pair", 180, "2.40", "7.50", 30, VENDORS[0]),
    ("SHELF-OAK-80", "Oak shelf 80 cm", 64, "14.00", "39.00", 10, VENDORS[1]),
    ("SHELF-OAK-120", "Oak shelf 120 cm", 41, "19.00", "54.00", 8, VENDORS[1]),
    ("HOOK-STEEL-10", "Steel hook, pack of 10", 220, "2.00", "6.00", 40, VENDORS[0]),
    ("HOOK-BRASS-04", "Brass hook, pack of 4", 95, "3.60", "11.00", 20, VENDORS[1]),
    ("ORG-TRAY-S", "Drawer organiser tray, small", 150, "2.10", "6.50", 25, VENDORS[0]),
    ("ORG-TRAY-L", "Drawer organiser tray, large", 120, "3.40", "9.50", 25, VENDORS[0]),
    ("BASKET-WIL-M", "Willow basket, medium", 70, "8.00", "24.00", 12, VENDORS[1]),
    ("BASKET-WIL-L", "Willow basket, large", 48, "11.00", "32.00", 10, VENDORS[1]),
    ("BOX-LINEN-3", "Linen box, set of 3", 88, "9.50", "29.00", 15, VENDORS[2]),
    ("BOX-SHOE-CLR", "Clear shoe box", 360, "1.60", "4.90", 60, VENDORS[0]),
    ("RACK-SHOE-3T", "Shoe rack, three tiers", 36, "17.00", "45.00", 6, VENDORS[1]),
    ("RACK-COAT-5", "Coat rack, five hooks", 52, "12.00", "34.00", 8, VENDORS[1]),
    ("HANGER-WD-10", "Wooden hangers, pack of 10", 130, "6.00", "16.00", 20, VENDORS[1]),
    ("HANGER-VEL-20", "Velvet hangers, pack of 20", 160, "7.00", "19.00", 20, VENDORS[2]),
    ("BAG-VAC-4", "Vacuum storage bags, pack of 4", 210, "5.00", "15.00", 30, VENDORS[2]),
    ("BAG-LAUNDRY", "Laundry bag", 140, "3.00", "9.00", 20, VENDORS[2]),
    ("HAMPER-BAMB", "Bamboo laundry hamper", 45, "13.00", "36.00", 8, VENDORS[1]),
    ("JAR-GLASS-1L", "Glass jar 1 l", 280, "2.20", "6.90", 50, VENDORS[1]),
    ("JAR-GLASS-2L", "Glass jar 2 l", 190, "3.10", "8.90", 40, VENDORS[1]),
    ("CANISTER-SET", "Kitchen canister set", 60, "12.50", "35.00", 10, VENDORS[1]),
    ("LABEL-CHALK", "Chalk labels, 36 pieces", 600, "0.80", "3.90", 100, VENDORS[0]),
    ("LABEL-MAKER", "Label maker", 25, "22.00", "59.00", 5, VENDORS[0]),
    ("MUG-CERAMIC-WHT", "Ceramic mug, white", 260, "2.50", "8.00", 40, VENDORS[1]),
    ("MUG-CERAMIC-BLU", "Ceramic mug, blue", 230, "2.50", "8.00", 40, VENDORS[1]),
    ("TOWEL-BATH-GRY", "Bath towel, grey", 150, "6.00", "18.00", 25, VENDORS[2]),
    ("TOWEL-HAND-GRY", "Hand towel, grey", 210, "3.00", "9.00", 30, VENDORS[2]),
    ("THROW-WOOL", "Wool throw", 34, "24.00", "69.00", 6, VENDORS[2]),
    ("CUSHION-LIN-45", "Linen cushion 45 cm", 90, "8.00", "25.00", 15, VENDORS[2]),
    ("LAMP-DESK-BLK", "Desk lamp, black", 40, "15.00", "42.00", 8, VENDORS[1]),
    ("LAMP-FLOOR-BRS", "Floor lamp, brass", 18, "45.00", "129.00", 4, VENDORS[1]),
    ("CLOCK-WALL-30", "Wall clock 30 cm", 55, "9.00", "27.00", 10, VENDORS[1]),
    ("MIRROR-RND-60", "Round mirror 60 cm", 22, "28.00", "79.00", 5, VENDORS[1]),
    ("FRAME-A4-BLK", "Photo frame A4, black", 175, "2.70", "8.50", 30, VENDORS[0]),
    ("FRAME-A3-BLK", "Photo frame A3, black", 110, "4.10", "12.50", 20, VENDORS[0]),
    ("CANDLE-HLD-3", "Candle holders, set of 3", 75, "6.50", "19.00", 12, VENDORS[1]),
    ("VASE-GLASS-25", "Glass vase 25 cm", 66, "7.00", "21.00", 12, VENDORS[1]),
    ("PLANTER-CER-M", "Ceramic planter, medium", 84, "6.00", "17.50", 15, VENDORS[1]),
    ("TSHIRT-S", "Logo T-shirt, small", 80, "5.00", "20.00", 15, VENDORS[2]),
    ("TSHIRT-M", "Logo T-shirt, medium", 120, "5.00", "20.00", 20, VENDORS[2]),
    ("TSHIRT-L", "Logo T-shirt, large", 95, "5.00", "20.00", 15, VENDORS[2]),
]

MASTER_ITEMS: list[CatalogueItem] = [
    CatalogueItem(
        sku=sku,
        name=name,
        type="Inventory",
        qty=qty,
        cost=Decimal(cost),
        price=Decimal(price),
        barcode=_ean13(index + 1),
        reorder_point=reorder,
        vendor=vendor,
        description=name,
    )
    for index, (sku, name, qty, cost, price, reorder, vendor) in enumerate(_INVENTORY)
] + [
    CatalogueItem(
        "GIFT-WRAP", "Gift wrapping", "NonInventory", 0, Decimal("0.50"), Decimal("3.00"), _ean13(90)
    ),
    CatalogueItem("ASSEMBLY", "Assembly service", "Service", 0, Decimal("0"), Decimal("25.00"), ""),
]

_BY_SKU = {item.sku: item for item in MASTER_ITEMS}

# How the channels spell some master SKUs. Case and stray spaces are matched after
# normalisation; the others are typos that need a matching added by staff.
SHOPIFY_SPELLING = {
    "ORG-TRAY-S": "org-tray-s",
    "HOOK-STEEL-10": "HOOK-STEL-10",
    "SHELF-BRKT-02": "SHELF-BRKT-2",
}
WOOCOMMERCE_SPELLING = {
    "BIN-LID-004": " BIN-LID-004",
    "LAMP-DESK-BLK": "LAMP-DESK-BLACK",
}
# Listings whose channel quantity drifted from QuickBooks (a manual edit nobody synced).
SHOPIFY_DRIFT = {"MUG-CERAMIC-WHT": 5, "FRAME-A4-BLK": -3}
WOOCOMMERCE_DRIFT = {"JAR-GLASS-1L": 7}
# What QuickBooks lacks: a product listed on the channels before it exists in the master.
CHANNEL_ONLY = ChannelProduct(
    sku="CANDLE-SOY-01", title="Soy candle, amber jar", qty=35, price=Decimal("16.00"), barcode=_ean13(95)
)
# Not everything is listed everywhere.
NOT_ON_SHOPIFY = {"TSHIRT-S", "TSHIRT-M", "TSHIRT-L", "LABEL-MAKER"}
NOT_ON_WOOCOMMERCE = {"LAMP-FLOOR-BRS", "MIRROR-RND-60", "THROW-WOOL", "GIFT-WRAP"}
WOOCOMMERCE_VARIABLE = {"TSHIRT-S": "S", "TSHIRT-M": "M", "TSHIRT-L": "L"}


def _channel_products(
    spelling: dict[str, str], drift: dict[str, int], skip: set[str]
) -> list[ChannelProduct]:
    products = []
    for item in MASTER_ITEMS:
        if item.sku in skip or item.type == "Service":
            continue
        tracked = item.type == "Inventory"
        products.append(
            ChannelProduct(
                sku=spelling.get(item.sku, item.sku),
                title=item.name,
                qty=item.qty + drift.get(item.sku, 0) if tracked else 0,
                price=item.price,
                barcode=item.barcode,
                tracked=tracked,
                master_sku=item.sku,
            )
        )
    products.append(CHANNEL_ONLY)
    return products


def shopify_products() -> list[ChannelProduct]:
    """Every Shopify variant to seed; each product has one variant."""
    return _channel_products(SHOPIFY_SPELLING, SHOPIFY_DRIFT, NOT_ON_SHOPIFY)


def woocommerce_products() -> list[ChannelProduct]:
    """Every WooCommerce product to seed; T-shirt sizes are variations of one variable product."""
    products = []
    for product in _channel_products(WOOCOMMERCE_SPELLING, WOOCOMMERCE_DRIFT, NOT_ON_WOOCOMMERCE):
        size = WOOCOMMERCE_VARIABLE.get(product.master_sku or "")
        if size:
            product = ChannelProduct(
                sku=product.sku,
                title=product.title,
                qty=product.qty,
                price=product.price,
                barcode=product.barcode,
                tracked=product.tracked,
                master_sku=product.master_sku,
                parent="Logo T-shirt",
                attributes={"Size": size},
            )
        products.append(product)
    return products


def master_item(sku: str) -> CatalogueItem:
    return _BY_SKU[sku]
