"""Readers for each input family: OSM, small areas, rasters, the estate."""
