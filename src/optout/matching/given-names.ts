/**
 * Common English given names (and their usual short forms), written for this matcher from the US
 * Social Security and UK birth-name rankings of the last century: about the 250 most common for each
 * sex. A registered name that is only one of these ("Mario", "Harry") names ordinary people too, so
 * capitals prove nothing: it refuses only with context. A registered full name that starts with one
 * ("Tom Hanks") is a person's name, never an ordinary phrase.
 */
const MALE = `aaron adam adrian alan albert alex alexander alfred allen andrew andy angel anthony antonio
arnold arthur austin barry ben benjamin bernard bill billy bob bobby brad bradley brandon brian bruce
bryan calvin carl carlos charles charlie chris christian christopher chuck clarence claude clifford
clyde colin connor craig curtis dale dan daniel danny darren dave david dean dennis derek diego dominic
don donald doug douglas duane dustin dylan earl eddie edgar eduardo edward edwin elijah eric ernest
ethan eugene evan felix francis francisco frank franklin fred freddie frederick gabriel gary gene george
gerald gilbert glen glenn gordon grant greg gregory harold harry harvey henry herbert herman howard hugh
hunter ian isaac jack jackson jacob jake james jamie jared jason javier jay jeff jeffrey jeremy jerome
jerry jesse jesus jim jimmy joe joel john johnny jon jonathan jordan jorge jose joseph josh joshua juan
julian justin keith ken kenneth kevin kyle larry lawrence lee leo leon leonard leroy lewis liam logan
louis lucas luis luke manuel marcus mario mark martin marvin mason matt matthew max michael miguel mike
mitchell nathan nathaniel neil nicholas nick noah norman oliver oscar owen patrick paul pedro perry
pete peter phil philip phillip ralph randy ray raymond ricardo richard rick ricky rob robert roberto
rodney roger roland ron ronald ross roy russell ryan sam samuel scott sean sebastian seth shane shawn
sidney simon stanley stephen steve steven stuart ted terry theodore thomas tim timothy toby todd tom
tommy tony travis trevor troy tyler victor vincent walter warren wayne wesley william willie zachary`;

const FEMALE = `abigail ada addison alice alicia alison allison alyssa amanda amber amelia amy andrea angela
anita ann anna anne annie april ashley audrey ava barbara beatrice becky belinda bella bernice beth
betty beverly bonnie brenda brittany brooke caitlin camila carmen carol caroline carolyn catherine
charlotte chelsea cheryl chloe christina christine cindy claire clara colleen connie crystal cynthia
daisy dana danielle dawn debbie deborah debra denise diana diane dolores donna doris dorothy edith
eileen elaine eleanor elizabeth ella ellen ellie emily emma erica erin esther ethel eva evelyn faith
florence frances gail gemma georgia gladys gloria grace hailey hannah harper hazel heather heidi helen
holly irene isabel isabella ivy jackie jacqueline jane janet janice jasmine jean jennifer jenny jessica
jill joan joanne josephine joy joyce judith judy julia julie june karen kate katherine kathleen kathryn
kathy katie kayla kelly kim kimberly kristen laura lauren leah lillian lily linda lisa lois lori
lorraine louise lucy lydia lynn madison maggie margaret maria marie marilyn marion martha mary megan
melanie melissa mia michelle mildred molly monica nancy naomi natalie natasha nicole nina nora norma
olivia paige pamela patricia paula pauline peggy penny phyllis polly rachel rebecca regina rita roberta
robin rosa rose rosemary ruby ruth sally samantha sandra sara sarah scarlett sharon sheila shirley
sofia sophia sophie stella stephanie sue susan suzanne sylvia tammy tanya taylor teresa theresa tiffany
tina tracy valerie vanessa vera veronica victoria violet virginia vivian wanda wendy whitney yvonne zoe`;

export const GIVEN_NAMES: ReadonlySet<string> = new Set(`${MALE} ${FEMALE}`.split(/\s+/).filter(Boolean));
