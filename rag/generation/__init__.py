"""Generated answers: a language model writes [n]-marked prose from the retrieved evidence, and every
sentence is verified against the quotes it cites before it is returned (``verify``); the extractive
answer is the floor."""

from .generative import GenerativeAnswerer, ModelWriter

__all__ = ["GenerativeAnswerer", "ModelWriter"]
