"""A small multilayer perceptron in numpy: three hidden layers (128, 64, 32), ReLU, inverted
dropout, softmax cross-entropy, Adam. Saved as .npz with its version, data hash and feature list."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HIDDEN = (128, 64, 32)


@dataclass
class Network:
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    meta: dict = field(default_factory=dict)

    @classmethod
    def initialise(
        cls, n_in: int, n_out: int, hidden: tuple[int, ...] = HIDDEN, seed: int = 0
    ) -> Network:
        rng = np.random.default_rng(seed)
        sizes = (n_in, *hidden, n_out)
        # He init
        weights = [
            rng.normal(0.0, np.sqrt(2.0 / a), size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])
        ]
        return cls(weights, [np.zeros(b) for b in sizes[1:]])

    def forward(self, x: np.ndarray, dropout: float = 0.0, rng: np.random.Generator | None = None):
        """Class probabilities, and the activations and masks backprop needs."""
        activations, masks = [x], []
        h = x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = np.maximum(h @ w + b, 0.0)
            if dropout > 0 and rng is not None:
                mask = (rng.random(h.shape) >= dropout) / (1.0 - dropout)
                h = h * mask
                masks.append(mask)
            else:
                masks.append(None)
            activations.append(h)
        logits = h @ self.weights[-1] + self.biases[-1]
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True), activations, masks

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return self.forward(np.atleast_2d(x))[0]

    def gradients(
        self, x: np.ndarray, y: np.ndarray, dropout: float = 0.0, rng=None, l2: float = 0.0
    ):
        """Mean cross-entropy (+ L2) and its gradients by backpropagation."""
        probs, activations, masks = self.forward(x, dropout, rng)
        n = x.shape[0]
        loss = (
            -np.log(probs[np.arange(n), y] + 1e-12).mean()
            + l2 * sum((w**2).sum() for w in self.weights) / 2
        )
        delta = probs
        delta[np.arange(n), y] -= 1.0
        delta /= n
        grads_w, grads_b = [None] * len(self.weights), [None] * len(self.biases)
        for layer in range(len(self.weights) - 1, -1, -1):
            grads_w[layer] = activations[layer].T @ delta + l2 * self.weights[layer]
            grads_b[layer] = delta.sum(axis=0)
            if layer > 0:
                delta = delta @ self.weights[layer].T
                if masks[layer - 1] is not None:
                    delta = delta * masks[layer - 1]
                delta = delta * (activations[layer] > 0)
        return loss, grads_w, grads_b

    def save(self, path: Path) -> None:
        arrays = {f"w{i}": w for i, w in enumerate(self.weights)} | {
            f"b{i}": b for i, b in enumerate(self.biases)
        }
        np.savez(path, meta=np.array(json.dumps(self.meta)), **arrays)

    @classmethod
    def load(cls, path: Path) -> Network:
        with np.load(path, allow_pickle=False) as data:
            layers = len([k for k in data.files if k.startswith("w")])
            return cls(
                [data[f"w{i}"] for i in range(layers)],
                [data[f"b{i}"] for i in range(layers)],
                json.loads(str(data["meta"])),
            )


@dataclass
class Adam:
    rate: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    step: int = 0
    moments: list = field(default_factory=list)

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        if not self.moments:
            self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
        self.step += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            m, v = self.moments[i]
            m[:] = self.beta1 * m + (1 - self.beta1) * g
            v[:] = self.beta2 * v + (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1**self.step)
            v_hat = v / (1 - self.beta2**self.step)
            p -= self.rate * m_hat / (np.sqrt(v_hat) + self.eps)


def train(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    epochs: int = 60,
    batch: int = 128,
    dropout: float = 0.2,
    rate: float = 1e-3,
    l2: float = 1e-4,
    patience: int = 10,
    seed: int = 0,
) -> dict:
    """Mini-batch Adam with early stopping on validation loss; keeps the best epoch's parameters."""
    rng = np.random.default_rng(seed)
    optimiser = Adam(rate)
    best = (np.inf, None, 0)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            rows = order[start : start + batch]
            _, gw, gb = network.gradients(x[rows], y[rows], dropout, rng, l2)
            optimiser.update(network.weights + network.biases, gw + gb)
        val_probs = network.predict_proba(x_val)
        val_loss = float(-np.log(val_probs[np.arange(len(y_val)), y_val] + 1e-12).mean())
        history.append(val_loss)
        if val_loss < best[0]:
            best = (
                val_loss,
                ([w.copy() for w in network.weights], [b.copy() for b in network.biases]),
                epoch,
            )
        elif epoch - best[2] >= patience:
            break
    network.weights, network.biases = best[1]
    return {"best_epoch": best[2], "best_val_loss": best[0], "epochs_run": len(history)}
