"""Imaging: DICOM studies in each institution's PACS, shared as encrypted archives."""
