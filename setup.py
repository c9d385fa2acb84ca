# nbdev 2's setup.py, without `pkg_resources` (the setuptools that pip builds with no longer ships it)
from configparser import ConfigParser
import setuptools, shlex

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for o in expected: assert o in cfg, f"missing expected setting: {o}"
setup_cfg = {o: cfg[o] for o in cfg_keys}

licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
lic = licenses.get(cfg['license'].lower(), (cfg['license'], None))
requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
app_requirements = shlex.split(cfg.get('app_requirements', ''))  # `learnlib serve`: Starlette, uvicorn, form parsing
docs_requirements = shlex.split(cfg.get('docs_requirements', ''))  # `learnlib docs`: Sphinx, myst-nb, the book theme, selenium

setuptools.setup(
    name=cfg['lib_name'],
    license=lic[0],
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title(),
                 'Programming Language :: Python :: 3.11'] + (['License :: ' + lic[1]] if lic[1] else []),
    url=cfg['git_url'],
    # the chapters ship with the package: nbs/chapters is installed as learnlib/chapters (`learnlib chapters`)
    packages=setuptools.find_packages(include=['learnlib', 'learnlib.*']) + ['learnlib.chapters'],
    package_dir={'learnlib.chapters': 'nbs/chapters'},
    package_data={'learnlib.chapters': ['*.ipynb']},
    include_package_data=True,
    install_requires=requirements,
    extras_require={'dev': dev_requirements, 'docs': docs_requirements, 'app': app_requirements},
    python_requires='>=' + cfg['min_python'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': cfg.get('console_scripts', '').split(),
                  'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
    **setup_cfg)
