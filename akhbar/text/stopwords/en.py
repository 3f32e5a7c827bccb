"""English stop words: function words only (see README.md)."""

WORDS = """
a an the and or but nor so if then than as of to in on at by for with from into onto about over under
after before between during without within through up down out off is are was were be been being am
do does did done has have had having it its this that these those he she they we you i me him her
them us my your his their our not no will would shall should can could may might must also just only
very too there here what which who whom whose when where why how all any both each some such own same
other s t ll ve re d m don doesn didn isn aren wasn weren hasn haven hadn won wouldn shouldn couldn
"""
