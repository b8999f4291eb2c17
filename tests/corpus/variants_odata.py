VARIANTS = []
def run_odata(v, root): pass
