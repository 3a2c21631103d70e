"""Liquidity venues: the real Uniswap deployments, the RFQ market maker's quotes, the issuer's NAV desk."""
