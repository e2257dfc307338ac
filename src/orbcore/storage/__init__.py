"""Storage: the repository ports and the adapters behind them (memory, SQL)."""

__all__: list[str] = []
