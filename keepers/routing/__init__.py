"""Off-chain smart order router: quotes from the aggregator in one batched call, the split that
maximises output net of gas, multi-hop paths over the token graph, calldata for the aggregator."""
