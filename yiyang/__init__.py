"""Yiyang (颐养): home-and-community elderly care for a city."""
