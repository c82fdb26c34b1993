"The embedded default dataset (see README.md beside this file); `aim_nb.data.embedded_arrays()` reads it."
