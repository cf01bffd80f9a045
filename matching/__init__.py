"""How needs meet capabilities.

Dense retrieval (sentence-transformers + FAISS) and lexical retrieval (scikit-learn
TF-IDF over diacritics-folded text, bridged across Vietnamese and English by the
taxonomy's concepts) are fused, then structured constraints and explanations are
added. Plain Python over a SQLAlchemy session: no web framework in here.
"""
