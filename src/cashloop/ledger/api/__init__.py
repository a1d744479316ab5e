"""The ledger's REST endpoints, one module per concept, combined into one router."""

from ninja import Router

from cashloop.ledger.api import customers, documents, fx

router = Router(tags=["ledger"])
router.add_router("", customers.router)
router.add_router("", documents.router)
router.add_router("", fx.router)
