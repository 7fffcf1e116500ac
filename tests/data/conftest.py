# make_sheraf06_data.py runs in a sheraf 0.6.0 environment, not under pytest.
collect_ignore = ["make_sheraf06_data.py"]
