"""The GraphQL documents the adapter sends, with the requested cost of each.

Costs follow Shopify's published rules (an object implementing Node costs 1, a connection 2 plus
its page size times the cost of one node, a mutation 10 plus what it selects, scalars nothing);
the client waits for the bucket to hold that many points before it sends. Selections are kept
to what the adapter reads, which is what keeps them cheap.
"""

from __future__ import annotations

MUTATION_COST = 10

SHOP = """
query Shop {
  shop { name myshopifyDomain }
}
"""
SHOP_COST = 1

LOCATIONS_PAGE = 50
LOCATIONS = """
query Locations {
  locations(first: 50) { nodes { id name isActive isPrimary } }
}
"""
LOCATIONS_COST = 2 + LOCATIONS_PAGE

# Per variant: the variant, its product, its inventory item and the level at the location.
LISTING_NODE_COST = 4
LISTINGS = """
query Listings($first: Int!, $after: String, $location: ID!) {
  productVariants(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      title
      sku
      barcode
      price
      updatedAt
      product { legacyResourceId title }
      inventoryItem {
        id
        tracked
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
      }
    }
  }
}
"""


def listings_cost(page_size: int) -> int:
    return 2 + page_size * LISTING_NODE_COST


# Per id: the variant, its inventory item, the level.
VARIANT_QUANTITIES = """
query VariantQuantities($ids: [ID!]!, $location: ID!) {
  nodes(ids: $ids) {
    ... on ProductVariant {
      id
      inventoryItem {
        id
        tracked
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
      }
    }
  }
}
"""
VARIANT_QUANTITIES_NODE_COST = 3

# Per id: the variant and its inventory item.
VARIANT_ITEMS = """
query VariantItems($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant { id barcode inventoryItem { id } }
  }
}
"""
VARIANT_ITEMS_NODE_COST = 2

# Per id: the inventory level alone (its gid names the item and the location).
LEVEL_QUANTITIES = """
query LevelQuantities($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryLevel { id quantities(names: ["available"]) { name quantity } }
  }
}
"""
LEVEL_QUANTITIES_NODE_COST = 1

# The selection of both mutation shapes: the group is a Node (1 point), user errors are free.
_SET_SELECTION = """
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
"""
# From 2026-01 the mutation takes an idempotency key (required from 2026-04); a repeated key
# with the same input replays the first answer instead of writing again.
SET_QUANTITIES_KEYED = (
    """
mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {"""
    + _SET_SELECTION
    + """  }
}
"""
)
SET_QUANTITIES_PLAIN = (
    """
mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {"""
    + _SET_SELECTION
    + """  }
}
"""
)
SET_QUANTITIES_COST = MUTATION_COST + 1

SUBSCRIPTIONS_PAGE = 100
SUBSCRIPTIONS = """
query Subscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri }
  }
}
"""
SUBSCRIPTIONS_COST = 2 + SUBSCRIPTIONS_PAGE

SUBSCRIBE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""
SUBSCRIBE_COST = MUTATION_COST + 1
