"""Vision: boxes, matching and the building blocks of image models."""

__all__: list[str] = []
