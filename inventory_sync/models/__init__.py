from .items import Item, ItemType, normalize_code
from .leases import Lease
from .orders import LineState, Order, OrderLine, OrderStatus
from .postings import Customer, Payout, Posting, PostingStatus
from .stock import MovementKind, Reservation, ReservationState, StockMovement
from .tenancy import Membership, Merchant, MerchantOwned, MerchantQuerySet, Role, role_at_least

__all__ = [
    "Customer",
    "Item",
    "ItemType",
    "Lease",
    "LineState",
    "Membership",
    "Merchant",
    "MerchantOwned",
    "MerchantQuerySet",
    "MovementKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Payout",
    "Posting",
    "PostingStatus",
    "Reservation",
    "ReservationState",
    "Role",
    "StockMovement",
    "normalize_code",
    "role_at_least",
]
