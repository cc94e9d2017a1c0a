/**
 * Words for generated passphrases: 1199 common, concrete English words of 3 to 9
 * letters, lowercase ASCII, no two alike, easy to type and to read out. Each word drawn
 * uniformly adds log2(1199) ≈ 10.23 bits.
 */
const TEXT = `
able acid acorn actor adapt admit adobe adult aerial afford agent agile agree ahead aisle alarm album alert
alley allow almond alpha alpine amber amend amino ample amuse anchor angle ankle annex antler anvil apple
apron arbor arcade arch arena argue armor aroma arrow artist ascend ashen aspen asset atlas atom attic audio
august aunt autumn avenue avid awake award axis azure bacon badge bagel baker balcony ballad bamboo banana
banjo banner barley barn baron basil basin basket batch bath baton beach beacon beagle beam bean bear beaver
bedrock beech beetle begin bell belt bench berry bicycle bingo birch bird biscuit bison bitter blade blank
blaze blend bless blimp blink bliss block bloom blossom blue blunt blush board boat bobcat body bolt bonus
book boost booth border botany bottle boulder bounce bowl brain brake branch brass brave bread breeze brick
bridge brief bright brim brisk broad bronze brook broom brush bubble bucket buckle budget buffalo bugle build
bulb bundle bunny burrow bush butter button buzz cabin cable cactus cadet cake calm camel camera camp canal
candle candy canoe canopy canvas canyon cape carbon cargo carpet carrot cart carve castle catalog cattle cedar
celery cello cement census cereal chair chalk champ chant chapel charm chart chase cheek cheese cherry chess
chest chimney chip choir chord chorus cider cinema circle citrus civic claim clam clap clay clerk cliff climb
clock cloth cloud clover clown coach coast cobalt cocoa coconut code coffee coil comet comfort comic common
compass concert condor cookie copper coral cord corner cotton couch cougar count cousin cover coyote crab
cradle craft crane crater crayon cream credit creek crest cricket crisp crop crown cruise crumb crystal cube
cucumber cupboard curb curious curl curtain cushion custom cycle cypress daisy dance dawn debut decade decent
decimal deck decor deer degree delta denim dentist depot depth desert design desk detail device dial diary
diesel digit dinner direct dish disk ditch diver dock doctor dolphin domain donkey donut door dove dozen draft
dragon drama drawer dream dress drift drill drink drum duck dune dust duty dwarf dynamo eager eagle early
earth easel east easy echo eclipse edge editor effort eight elbow elder elegant elephant elevator elite elk
elm ember emblem embody emerald empire enamel endless energy engine enjoy entry envoy epic equal equip era
errand essay estate ethics evening event exact exhibit exit expert extra fabric facet factor fair falcon fame
family fancy farm fashion feast feather fellow fence fern ferry festival fiber fiction field fiesta figure
film filter final finch finger firm fiscal flag flame flash flask fleet flint float flock flora flour flower
fluid flute focus fog folder folk forest forge fork fossil fountain fox frame fresh friend frog frost fruit
fuel fungus funny furnace future gadget galaxy gallery gallon game garage garden garlic garnet gate gather
gazelle gecko gem general genius gentle geyser ghost giant ginger giraffe glacier glad glass glide globe glove
glow goat gold golf good goose gorilla gospel gourd grace grain grand granite grape graph grass gravel gravity
great green grid grill grove guard guava guest guide guitar gulf gust habit hammer hamster hand harbor harmony
harp harvest hatch haven hawk hazel head heart hedge heel helmet helper hero heron hickory hill hinge hobby
hockey holiday hollow honey hood hook horizon horse hotel hound hour house hover humble humor hunter husky
hymn icicle icon idea igloo image impact inch index indigo infant inlet input insect inside invite iris iron
island ivory jacket jaguar jam jar jasmine jazz jelly jersey jewel jigsaw jockey joke journal journey judge
juice jumbo jungle junior jury kayak keen kelp kennel kernel kettle key kidney kind king kiosk kitchen kite
kitten kiwi knee knight knob knot koala label lace ladder lagoon lake lamb lamp lantern laptop large laser
latch lattice laundry lava lawn layer leaf ledge legend lemon lens leopard letter level lever library lilac
lily lime linen lion liquid list lizard llama lobby lobster local locket lodge loft logic lotus loyal lucky
lumber lunar lunch lyric machine magnet maple marble margin marina market marsh mask mason meadow medal melody
melon member memory mentor menu merit meteor method metro middle mild milk mill mineral minnow mint minute
mirror mission mist mitten mixer model modern molar moment monitor monkey moose morning mosaic moss motor
mountain mouse muffin mural museum music mustard myth napkin narrow native nature navy nectar needle neon
nephew nest network neutral nickel night noble noodle normal north notary notebook novel nugget number nurse
nutmeg oak oasis oat object ocean octave office olive omega onion opal open opera optic orange orbit orchard
orchid organ origin otter outer oval oven owl oxygen oyster pace paddle page paint palace palm panda panel
panther paper parade parcel parent park parrot party pastel patch path patio pebble pecan pedal pencil penguin
pepper permit person petal piano picnic pigeon pilot pine pink pioneer pipe pirate pistachio pixel pizza
planet plank plaza pledge plenty plum pocket poem polar pond pony poplar poppy porch portal potato pottery
powder prairie prism prize proof prose proud pulse pump pupil puppy purple puzzle pyramid quail quaint quarry
quartz queen quest quick quiet quill quilt quiz quote rabbit raccoon radar radio radish raft rail rain raisin
rally ranch range rapid raven razor ready rebel recipe record reef reform region relay relic remedy render
rescue resort rhythm ribbon rice riddle ridge rifle ring ripple river road robin robot rocket rodeo roof
rookie room root rose rotor round route rover royal ruby rudder rugby ruler rumble runway rustic saddle safari
saga sail salad salmon salon salt sample sand satin sauce saucer savvy scale scarf scene scholar school scout
screen script scroll sculpt season second secret sector seed select senior sensor sequel serene series shadow
shallow shelf shell shelter sheriff shield shine shore shrub signal silent silk silver simple siren sister
sketch skill sky slate sled slice slope smart smile smooth snack snail snow soap soccer socket soda sofa solar
solid sonnet south spark sparrow spice spider spine spiral splash sponge spoon sport spring sprout spruce
square squid stable stadium staff stage stamp star static statue steam steel stem step stereo stew stick stone
storm story stove strap straw stream street stripe studio sturdy style sugar suit summer summit sunny super
supply surf swan sweater swift swing symbol syrup system table tablet tackle taco tailor talent tango tank
target tassel tattoo teacher teapot tempo tenant tennis tent terrace texture thank theory thimble thistle
thread thrive thunder ticket tiger tile timber tinsel tiny toast toffee token tomato tonic topaz torch tornado
tortoise total towel tower track tractor trade trail train tree trend tribe trophy tropic trout truck tulip
tumble tundra tunnel turkey turnip turtle tutor twig twin typhoon ultra umbrella uncle under unicorn union
unit upbeat upper urban usher utmost vacuum valley valve vanilla vapor velvet vendor venture venue verb verse
vessel veteran vine vintage violet violin virtue visa visit vital vivid vocal voice volcano voyage wafer wagon
waiter walnut walrus wand warm wave wealth weasel weather weaver wedge whale wheat wheel whisker whistle width
willow window winter wisdom wizard wolf wonder wood wool world worthy wrist yacht yard yarn yearly yellow
yodel yogurt young youth zeal zebra zenith zero zest zigzag zinc zipper zodiac zone zoom
`;

export const WORDS: readonly string[] = TEXT.split(/\s+/).filter(Boolean);
