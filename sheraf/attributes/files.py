"""Where file attributes keep their files."""

import os

FILES_ROOT_DIR = os.path.join(os.getcwd(), "files")


def set_files_root_dir(path):
    """Keep the files of file attributes under ``path``; return the previous
    root."""
    global FILES_ROOT_DIR
    previous, FILES_ROOT_DIR = FILES_ROOT_DIR, path
    return previous
