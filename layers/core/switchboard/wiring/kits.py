"""The container's kits and skills: their catalog (KIT_CATALOG, checked against the model
catalog) and the kit runs' service."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from switchboard.wiring.core import CoreParts

if TYPE_CHECKING:
    from switchboard.domain.kits import KitCatalog
    from switchboard.services.kits import KitService


class KitParts(CoreParts):
    @cached_property
    def kit_catalog(self) -> KitCatalog:
        from switchboard.domain.kits import check_models, load_kit_catalog

        return check_models(load_kit_catalog(self.settings.KIT_CATALOG or None), self.catalog)

    @cached_property
    def kits(self) -> KitService:
        from switchboard.services.kits import KitService

        return KitService(self.kit_catalog, self.catalog, self.providers)
