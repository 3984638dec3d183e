"""The two-level label taxonomy of Fashion-MNIST, in one place.

HDDNN (Wang et al., "Heterogeneous Distributed Deep Neural Network", Sec. 3 and 4) splits the
classification task by level: end devices run a small network that answers with a *coarse*
label, edge devices and the cloud run bigger networks that answer with a *fine* label. The paper
uses CIFAR-100, whose 100 fine classes come grouped into 20 coarse superclasses. Fashion-MNIST,
the data set available here, has only 10 flat classes, so we give it a coarse level of our own:

    tops     <- T-shirt/top, Pullover, Coat, Shirt
    bottoms  <- Trouser
    dresses  <- Dress
    footwear <- Sandal, Sneaker, Ankle boot
    bags     <- Bag

Everything that needs the mapping (training, evaluation, model cards, and through the cards the
Swift engine) reads it from here, so it cannot drift between places.
"""

from __future__ import annotations

FINE_LABELS: list[str] = [
    "T-shirt/top",  # 0
    "Trouser",      # 1
    "Pullover",     # 2
    "Dress",        # 3
    "Coat",         # 4
    "Sandal",       # 5
    "Shirt",        # 6
    "Sneaker",      # 7
    "Bag",          # 8
    "Ankle boot",   # 9
]

COARSE_LABELS: list[str] = ["tops", "bottoms", "dresses", "footwear", "bags"]

# FINE_TO_COARSE[fine_index] == coarse_index
FINE_TO_COARSE: list[int] = [0, 1, 0, 2, 0, 3, 0, 3, 4, 3]

assert len(FINE_TO_COARSE) == len(FINE_LABELS)
assert sorted(set(FINE_TO_COARSE)) == list(range(len(COARSE_LABELS)))


def taxonomy_json() -> dict:
    """The taxonomy as it is written into every model card (`"taxonomy"` key)."""
    return {
        "coarse_labels": list(COARSE_LABELS),
        "fine_labels": list(FINE_LABELS),
        "fine_to_coarse": list(FINE_TO_COARSE),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(taxonomy_json(), indent=2))
